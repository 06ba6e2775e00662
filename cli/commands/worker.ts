import { Command } from 'commander';
import { runStreamWorker } from '../../workers/stream-worker';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run only the stream worker (production: Temporal and Kafka run elsewhere)')
    .action(() => runStreamWorker());
}
