import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createLogger } from '../lib/logger';
import { projectRoot } from '../lib/paths';

const log = createLogger('supervisor');
const k2 = join(projectRoot, 'bin', 'k2.js');

export { configEnv as workerEnv } from '../lib/config-env';

/**
 * Keeps one worker process (`k2 worker`) alive, as an orchestrator would: a worker that dies
 * (a signal, an error) comes back after `restartDelayMs`; one that was stopped and exited cleanly
 * (a deployment stopping the old build) stays down. `kill` is for chaos and demos.
 */
export class WorkerSupervisor {
  child: ChildProcess | undefined;
  restarts = 0;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly o: { restartDelayMs?: number; say?(line: string): void; stdio?: 'inherit' | 'ignore' } = {},
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const child = spawn(process.execPath, [k2, 'worker'], { env: this.env, stdio: ['ignore', this.o.stdio ?? 'inherit', this.o.stdio ?? 'inherit'] });
    this.child = child;
    this.o.say?.(`worker started, pid ${child.pid}`);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        resolve();
        if (this.stopping || (code === 0 && signal === null)) return;
        log.warn({ event: 'supervisor.worker-exited', pid: child.pid, code, signal });
        this.o.say?.(`worker ${child.pid} exited (${signal ?? code}); starting another in ${(this.o.restartDelayMs ?? 1_000) / 1000} s`);
        setTimeout(() => {
          if (this.stopping) return;
          this.restarts++;
          this.start();
        }, this.o.restartDelayMs ?? 1_000);
      }),
    );
  }

  /** Kills the running worker (it comes back); resolves once it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const exited = this.exited;
    this.child?.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.child?.kill('SIGTERM');
    await this.exited;
  }
}
