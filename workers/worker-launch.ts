import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Config, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';

// Kept light on purpose: `k2 worker` loads only this module (config, logger) to decide whether to
// relaunch, and the relaunching process then stays alive as a supervisor for the worker's whole
// life, so everything it imports costs memory next to the worker.

const log = createLogger('worker');

/** Set in the environment of a worker this module launched, so it never relaunches twice. */
const SUPERVISED_ENV = 'K2_WORKER_SUPERVISED';

export type BoundSettings = Pick<Config, 'worker_heap_mb' | 'worker_semi_space_mb' | 'malloc_arena_max' | 'malloc_mmap_threshold_kb'>;

/** What V8 and glibc read only when the process starts. */
export interface ProcessBounds {
  nodeFlags: string[];
  env: Record<string, string>;
}

export function processBounds(c: BoundSettings): ProcessBounds {
  return {
    nodeFlags: [`--max-old-space-size=${c.worker_heap_mb}`, `--max-semi-space-size=${c.worker_semi_space_mb}`],
    env: { MALLOC_ARENA_MAX: String(c.malloc_arena_max), MALLOC_MMAP_THRESHOLD_: String(c.malloc_mmap_threshold_kb * 1024) },
  };
}

/** The bounds this process did not start with (empty when all hold). */
export function missingBounds(b: ProcessBounds, execArgv: string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): string[] {
  // Node's own command line wins over NODE_OPTIONS, and V8 takes the last value of a flag.
  const flags = [...(env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean), ...execArgv];
  const lastValue = (flag: string) => flags.filter((f) => f.startsWith(`${flag.split('=')[0]}=`)).pop();
  return [
    ...b.nodeFlags.filter((f) => lastValue(f) !== f),
    ...Object.entries(b.env)
      .filter(([k, v]) => env[k] !== v)
      .map(([k, v]) => `${k}=${v}`),
  ];
}

/** The built worker process; from sources (jest) too, as tests have always spawned dist/. */
export const streamWorkerEntry = join(__dirname, ...(__filename.endsWith('.ts') ? ['..', 'dist', 'workers'] : []), 'stream-worker.js');

/**
 * How to spawn a stream worker process with its bounds in effect from the start, for tools that
 * start workers themselves (npm start, benchmarks, tests, another build's `entry`): the pid they
 * get is the worker's own.
 */
export function streamWorkerCommand(
  config: BoundSettings,
  env: NodeJS.ProcessEnv = process.env,
  entry = streamWorkerEntry,
): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const b = processBounds(config);
  return { command: process.execPath, args: [...b.nodeFlags, entry], env: { ...env, ...b.env } };
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * `k2 worker`'s start: when this process lacks the configured bounds, runs the same command again
 * with them and stays as its supervisor (signals forwarded, the worker's exit code or signal
 * passed on; should this process die, the worker drains and exits). Returns false when the worker
 * should run here: the bounds hold, it was already relaunched, or the settings are invalid (the
 * normal start-up then reports them).
 */
export function relaunchWithBounds(argv: string[] = process.argv): boolean {
  if (process.env[SUPERVISED_ENV]) return false;
  let config: Config;
  try {
    config = loadConfig();
  } catch {
    return false;
  }
  const bounds = processBounds(config);
  const missing = missingBounds(bounds);
  if (missing.length === 0) return false;
  log.info({ event: 'worker.relaunch', missing }, 'starting the worker process with its memory bounds');
  const child = spawn(process.execPath, [...process.execArgv, ...bounds.nodeFlags, ...argv.slice(1)], {
    env: { ...process.env, ...bounds.env, [SUPERVISED_ENV]: String(process.pid) },
    // The IPC channel is how the worker notices this process is gone.
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const s of FORWARDED) process.on(s, forward);
  child.once('error', (err) => {
    log.error({ event: 'worker.relaunch-failed', err: err.message });
    process.exitCode = 1;
  });
  child.once('exit', (code, signal) => {
    for (const s of FORWARDED) process.off(s, forward);
    if (signal) {
      // Die of the same signal, so whoever started `k2 worker` sees what happened to the worker.
      process.kill(process.pid, signal);
      return;
    }
    process.exitCode = code ?? 1;
  });
  return true;
}

/**
 * In a worker that relaunchWithBounds started: if the supervisor goes away (killed, even with
 * SIGKILL), this worker drains as on SIGTERM instead of running on as an orphan nobody stops.
 */
export function followSupervisor(): void {
  if (!process.env[SUPERVISED_ENV] || !process.send) return;
  process.channel?.unref();
  process.once('disconnect', () => {
    log.warn({ event: 'worker.supervisor-gone' }, 'the k2 worker process that started this one is gone: draining');
    process.kill(process.pid, 'SIGTERM');
  });
}

/**
 * Logs the bounds in effect, and those missing with how to get them (info, not a warning: tests
 * run bare worker processes on purpose).
 */
export function reportBounds(config: BoundSettings): void {
  const missing = missingBounds(processBounds(config));
  const bounds = { heapMb: config.worker_heap_mb, semiSpaceMb: config.worker_semi_space_mb, mallocArenaMax: config.malloc_arena_max, mallocMmapThresholdKb: config.malloc_mmap_threshold_kb };
  log.info(
    { event: 'worker.memory-bounds', ...bounds, inEffect: missing.length === 0, missing },
    missing.length === 0 ? 'memory bounds in effect' : 'this process did not start with its memory bounds: run the worker with `k2 worker`, or spawn it as streamWorkerCommand() says',
  );
}
