import { Command } from 'commander';
import { describeStatus, infraDown, infraStatus, infraUp, parsePartNames, PART_NAMES } from '../../ops/infra/stack';

export function infraCommand(): Command {
  const infra = new Command('infra').description(
    `local infrastructure (${PART_NAMES.join(', ')}): installed on first use, bound to 127.0.0.1 ` +
      '(docker: a unix socket, no bridge, containers on the host network)',
  );
  infra
    .command('up')
    .description('install (first time) and start parts; default: temporal kafka; "all" for every part (docker included)')
    .argument('[parts...]', 'parts to start')
    .action(async (parts: string[]) => {
      console.log(describeStatus(await infraUp(parsePartNames(parts))));
    });
  infra
    .command('down')
    .description('stop parts the project started (all by default), through their recorded pids')
    .argument('[parts...]', 'parts to stop')
    .action(async (parts: string[]) => {
      console.log(describeStatus(await infraDown(parts.length ? parsePartNames(parts) : [...PART_NAMES])));
    });
  infra
    .command('status')
    .description('what runs, where, and under which pid')
    .action(async () => {
      console.log(describeStatus(await infraStatus()));
    });
  return infra;
}
