import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { workerEnv } from '../../cli/worker-supervisor';
import { Config } from '../../lib/config';

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

  /** `extra` wins over the settings (e.g. a METRICS_PORT a test's Prometheus scrapes). */
  constructor(config: Config, extra: NodeJS.ProcessEnv = {}, o: { capture?: boolean } = {}) {
    this.process = spawn(process.execPath, [join(__dirname, '../../dist/workers/stream-worker.js')], {
      env: configEnv(config, extra),
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
