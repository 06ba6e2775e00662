import { readdirSync, readFileSync } from 'node:fs';

// The kernel's view of a process (Linux /proc): memory and CPU are measured on it, not asked of it.

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface ProcessStat {
  pid: number;
  rssBytes: number;
  vmsBytes: number;
  /** CPU seconds used so far (user + system). */
  cpuSeconds: number;
}

function readStat(pid: number): ProcessStat | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, rssBytes: kb('VmRSS'), vmsBytes: kb('VmSize'), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS };
  } catch {
    return undefined; // gone
  }
}

function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/**
 * The worker among a process and its descendants: the one with the largest RSS. A launcher
 * that re-executes node with memory flags stays small, the worker it runs does not.
 */
export function workerProcessTree(rootPid: number): ProcessStat | undefined {
  const all: ProcessStat[] = [];
  const todo = [rootPid];
  while (todo.length) {
    const pid = todo.pop()!;
    const s = readStat(pid);
    if (s) all.push(s);
    todo.push(...children(pid));
  }
  return all.sort((a, b) => b.rssBytes - a.rssBytes)[0];
}
