import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { workerEnv } from '../../cli/worker-supervisor';
import { Config } from '../../lib/config';
import { testWorkflowBundle } from './workflow-bundle-file';

/** The settings of `config` as the environment a worker process reads them from. */
export function configEnv(config: Config, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return workerEnv(config, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', ...extra });
}

/** A stream worker in its own process (the built one), so a test can SIGKILL it. */
export class ChildWorker {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  /** stdout and stderr, when constructed with `capture` (a test that checks what the worker prints). */
  output = '';

  /**
   * `extra` wins over the settings (e.g. a METRICS_PORT a test's Prometheus scrapes). Unless the
   * config names a workflow bundle, the worker reads the one the global setup built.
   */
  constructor(config: Config, extra: NodeJS.ProcessEnv = {}, o: { capture?: boolean } = {}) {
    const bundle = config.workflow_bundle_path === undefined && existsSync(testWorkflowBundle) ? { WORKFLOW_BUNDLE_PATH: testWorkflowBundle } : {};
    this.process = spawn(process.execPath, [join(__dirname, '../../dist/workers/stream-worker.js')], {
      env: configEnv(config, { ...bundle, ...extra }),
      stdio: ['ignore', o.capture ? 'pipe' : 'ignore', o.capture ? 'pipe' : 'inherit'],
    });
    for (const stream of [this.process.stdout, this.process.stderr]) stream?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.process.pid!;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    this.process.kill(signal);
    return this.exited;
  }
}
