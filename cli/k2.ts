import { Command } from 'commander';
import { ConfigError } from '../lib/config';
import { ConnectionSetupError } from '../lib/connection-errors';
import { createLogger } from '../lib/logger';
import { InfraError } from '../ops/infra/readiness';
import { auditCommand } from './commands/audit';
import { deployCommand, deployerCommand } from './commands/deploy';
import { demoCommand } from './commands/demo';
import { fleetCommand } from './commands/fleet';
import { infraCommand } from './commands/infra';
import { simulatorCommand } from './commands/simulator';
import { soakCommand } from './commands/soak';
import { startCommand } from './commands/start';
import { streamCommand } from './commands/stream';
import { validateCommand } from './commands/validate';
import { workerCommand } from './commands/worker';

const log = createLogger('k2');

export function buildProgram(): Command {
  return new Command('k2')
    .description('k2-stream: Binance spot trades into Kafka, durable on Temporal')
    .addCommand(startCommand())
    .addCommand(demoCommand())
    .addCommand(workerCommand())
    .addCommand(streamCommand())
    .addCommand(fleetCommand())
    .addCommand(deployCommand())
    .addCommand(deployerCommand())
    .addCommand(auditCommand())
    .addCommand(infraCommand())
    .addCommand(simulatorCommand())
    .addCommand(soakCommand())
    .addCommand(validateCommand());
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof InfraError || err instanceof ConnectionSetupError) {
      const event = err instanceof ConfigError ? 'config.invalid' : err instanceof ConnectionSetupError ? 'connection.refused' : 'infra.failed';
      log.error({ event, err: err.message });
      console.error(`k2: ${err.message}`);
      // A setting must change in both cases: the same exit code as a bad value.
      process.exit(err instanceof InfraError ? 1 : 2);
    }
    throw err;
  }
}

if (require.main === module) void main(process.argv);
