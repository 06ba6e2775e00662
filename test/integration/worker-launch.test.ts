import { ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../ops/infra/readiness';
import { eventually } from '../helpers/metrics';
import { uniqueName } from '../helpers/names';

// `k2 worker` (the Dockerfile's command) starts the worker with its memory bounds: it relaunches
// itself once with the node flags and environment, forwards signals and passes the exit on.
const k2 = join(__dirname, '../../bin/k2.js');

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === pid;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/** Running, not a zombie waiting to be reaped (an orphan's reaper may be slow or absent). */
const alive = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] !== 'Z';
  } catch {
    return false;
  }
};

async function startK2Worker(): Promise<{ supervisor: ChildProcess; worker: number; exited: Promise<{ code: number | null; signal: string | null }> }> {
  const port = await freePort();
  const supervisor = spawn(process.execPath, [k2, 'worker'], {
    env: { ...process.env, METRICS_PORT: String(port), TEMPORAL_METRICS_PORT: '0', TASK_QUEUE: uniqueName('launch'), MALLOC_ARENA_MAX: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => supervisor.once('exit', (code, signal) => resolve({ code, signal })));
  await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok ?? false, 60_000, 'the worker ready');
  const [worker] = childrenOf(supervisor.pid!);
  return { supervisor, worker, exited };
}

test('k2 worker runs the worker with its bounds; SIGTERM drains it and exits 0', async () => {
  const { supervisor, worker, exited } = await startK2Worker();
  expect(worker).toBeGreaterThan(0);
  const argv = readFileSync(`/proc/${worker}/cmdline`, 'utf8').split('\0');
  expect(argv).toEqual(expect.arrayContaining(['--max-old-space-size=128', '--max-semi-space-size=4', k2, 'worker']));
  const environ = readFileSync(`/proc/${worker}/environ`, 'utf8').split('\0');
  expect(environ).toEqual(expect.arrayContaining(['MALLOC_ARENA_MAX=2']));
  supervisor.kill('SIGTERM');
  expect(await exited).toEqual({ code: 0, signal: null });
  expect(alive(worker)).toBe(false);
}, 90_000);

test('a worker whose k2 worker process is killed drains and exits instead of running on', async () => {
  const { supervisor, worker, exited } = await startK2Worker();
  supervisor.kill('SIGKILL');
  await exited;
  await eventually(() => !alive(worker), 30_000, 'the orphaned worker gone');
}, 90_000);

test('a bad bound stops k2 worker before it relaunches, naming the setting', async () => {
  const failed = await promisify(execFile)(process.execPath, [k2, 'worker'], { env: { ...process.env, WORKER_HEAP_MB: '10' } }).then(
    () => undefined,
    (err: { code: number; stderr: string }) => err,
  );
  expect(failed?.code).toBe(2);
  expect(failed?.stderr).toMatch(/worker_heap_mb \(env WORKER_HEAP_MB\)/);
  expect(failed?.stderr).not.toMatch(/worker\.relaunch/);
});
