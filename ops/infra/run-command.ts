import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { InfraError } from './readiness';

/** Runs an install step to completion, its output appended to `logFile`; a failure names the part. */
export function runCommand(
  part: string,
  command: string,
  args: string[],
  options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<void> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  log.write(`\n$ ${command} ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.once('error', (err) => {
      log.end();
      reject(new InfraError(part, `cannot run ${command}: ${err.message}`, options.logFile));
    });
    child.once('close', (code) => {
      log.end();
      if (code === 0) resolve();
      else reject(new InfraError(part, `${command} ${args[0] ?? ''} exited with code ${code}`, options.logFile));
    });
  });
}
