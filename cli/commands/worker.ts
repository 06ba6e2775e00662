import { Command } from 'commander';
import { runWorkerProcess } from '../../workers/stream-worker';

export function workerCommand(): Command {
  return new Command('worker')
    .description(
      'run only the stream worker (production: Temporal and Kafka run elsewhere); it starts with its memory bounds (worker_heap_mb, worker_semi_space_mb, malloc_arena_max), relaunching itself once if needed',
    )
    .action(() => runWorkerProcess());
}
