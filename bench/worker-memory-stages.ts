import { readFileSync } from 'node:fs';

// Run by bench/worker-memory.ts as a process of its own (with --expose-gc and the worker's
// bounds): builds a stream worker step by step and prints one JSON line of its memory after
// each step, so the bare worker's RSS splits into Node itself, modules, the Temporal core
// (Rust runtime and connection), the workflow bundle and the running worker. Modules load
// inside the steps, hence the require() calls. Run on an older build, it shows what that
// build's bundling kept.

export interface StageSample {
  stage: string;
  rssMb: number;
  anonMb: number;
  fileMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  threads: number;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

async function sample(stage: string, settleMs = 1_000): Promise<void> {
  await new Promise((r) => setTimeout(r, settleMs));
  // Two collections: what is left is what the step keeps, not its garbage.
  global.gc?.();
  global.gc?.();
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const m = process.memoryUsage();
  const s: StageSample = {
    stage,
    rssMb: mb(kb('VmRSS') * 1024),
    anonMb: mb(kb('RssAnon') * 1024),
    fileMb: mb(kb('RssFile') * 1024),
    heapUsedMb: mb(m.heapUsed),
    heapTotalMb: mb(m.heapTotal),
    externalMb: mb(m.external),
    arrayBuffersMb: mb(m.arrayBuffers),
    threads: kb('Threads'),
  };
  process.stdout.write(`${JSON.stringify(s)}\n`);
}

async function main(): Promise<void> {
  await sample('node');
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { loadConfig } = require('../lib/config') as typeof import('../lib/config');
  const { connectTemporalWorker } = require('../lib/temporal/connection') as typeof import('../lib/temporal/connection');
  const { createStreamWorker } = require('../workers/create-worker') as typeof import('../workers/create-worker');
  const { installTemporalRuntime } = require('../workers/temporal-runtime') as typeof import('../workers/temporal-runtime');
  const { workflowBundle } = require('../workers/workflow-bundle') as typeof import('../workers/workflow-bundle');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const config = loadConfig();
  await sample('modules loaded');
  installTemporalRuntime();
  const connection = await connectTemporalWorker(config);
  await sample('Temporal core: runtime + connection');
  // Built once per process: the worker below reuses it.
  await workflowBundle(config.workflow_bundle_path);
  await sample('workflow bundle built');
  const sw = await createStreamWorker({ config });
  const running = sw.worker.run();
  await sample('worker running (workflow thread, pollers)', 10_000);
  await sample('worker running, 20 s later', 20_000);
  sw.shutdown();
  await running;
  await sw.close();
  await connection.close();
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`stages: ${err.message}`);
    process.exit(1);
  },
);
