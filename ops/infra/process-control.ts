import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logsDir, pidsDir } from '../../lib/paths';

/** What the project records about a service it started; only such a record lets it stop one. */
export interface ProcessRecord {
  name: string;
  pid: number;
  command: string;
  args: string[];
  logFile: string;
  startedAt: string;
}

export function logFileFor(name: string): string {
  return join(logsDir, `${name}.log`);
}

function pidFileFor(name: string): string {
  return join(pidsDir, `${name}.json`);
}

export function readRecord(name: string): ProcessRecord | undefined {
  const file = pidFileFor(name);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ProcessRecord;
  } catch {
    return undefined;
  }
}

/** Records whose name starts with `prefix` (e.g. every worker of one build). */
export function recordsStartingWith(prefix: string): ProcessRecord[] {
  if (!existsSync(pidsDir)) return [];
  return readdirSync(pidsDir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => readRecord(f.slice(0, -'.json'.length)))
    .filter((r): r is ProcessRecord => r !== undefined);
}

/** Records this process itself (a long-running worker), so a deployment on this host can stop it. */
export function recordSelf(name: string, args: string[]): () => void {
  mkdirSync(pidsDir, { recursive: true });
  const record: ProcessRecord = { name, pid: process.pid, command: process.execPath, args, logFile: '', startedAt: new Date().toISOString() };
  writeFileSync(pidFileFor(name), JSON.stringify(record, null, 2));
  return () => rmSync(pidFileFor(name), { force: true });
}

/** Alive and still the process we started: a recycled pid running something else does not count. */
export function isRecordAlive(record: ProcessRecord): boolean {
  try {
    process.kill(record.pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0');
    return cmdline.some((part) => part === record.command || part.endsWith(`/${record.command.split('/').pop()}`));
  } catch {
    return true;
  }
}

export function startDetached(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ProcessRecord {
  mkdirSync(logsDir, { recursive: true });
  mkdirSync(pidsDir, { recursive: true });
  const logFile = logFileFor(name);
  const fd = openSync(logFile, 'a');
  // Detached in its own process group, so a Ctrl-C meant for the CLI does not reach it
  // before the CLI has decided what to stop.
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command} (see ${logFile})`);
  child.unref();
  const record: ProcessRecord = { name, pid: child.pid, command, args, logFile, startedAt: new Date().toISOString() };
  writeFileSync(pidFileFor(name), JSON.stringify(record, null, 2));
  return record;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Stops a service through its recorded pid only: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopRecorded(name: string, graceMs = 15_000): Promise<'stopped' | 'not-running'> {
  const record = readRecord(name);
  if (!record) return 'not-running';
  if (!isRecordAlive(record)) {
    rmSync(pidFileFor(name), { force: true });
    return 'not-running';
  }
  process.kill(record.pid, 'SIGTERM');
  if (!(await waitForExit(record.pid, graceMs))) {
    process.kill(record.pid, 'SIGKILL');
    await waitForExit(record.pid, 5_000);
  }
  rmSync(pidFileFor(name), { force: true });
  return 'stopped';
}

/** The last lines of a log, for error messages that point at the cause. */
export function tailOf(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
