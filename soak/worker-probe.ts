import { readdirSync, readFileSync } from 'node:fs';
import { parsePromText, promByLabel, promValue } from './prom-text';

// What the soak runner reads of the worker: the kernel's view of its process (RSS and VMS are
// measured on that process, not asked of it) and the worker's own /metrics for the V8 heap, the
// event loop and the stream.

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
export function workerProcess(rootPid: number): ProcessStat | undefined {
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

export interface WorkerMetrics {
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  eventLoopLagSeconds: number;
  leakScore: number;
  tradesReceived: number;
  tradesProduced: number;
  rotations: number;
  reconnects: Record<string, number>;
  pings: number;
  pongs: number;
  pongTimeouts: number;
  bufferRecords: number;
  backfilled: number;
  gaps: number;
  dlq: number;
  unrecoverable: number;
}

export async function scrapeWorker(metricsUrl: string): Promise<WorkerMetrics | undefined> {
  let text: string;
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return undefined;
    text = await res.text();
  } catch {
    return undefined; // restarting
  }
  const m = parsePromText(text);
  const v = (name: string) => promValue(m, name);
  return {
    heapUsedBytes: v('nodejs_heap_size_used_bytes'),
    heapTotalBytes: v('nodejs_heap_size_total_bytes'),
    externalBytes: v('nodejs_external_memory_bytes'),
    arrayBuffersBytes: v('k2_nodejs_array_buffers_bytes'),
    eventLoopLagSeconds: v('nodejs_eventloop_lag_seconds'),
    leakScore: v('memory_leak_detection_score'),
    tradesReceived: v('k2_trades_received_total'),
    tradesProduced: v('k2_trades_produced_total'),
    rotations: v('binance_connection_rotations_total'),
    reconnects: promByLabel(m, 'binance_reconnects_total', 'reason'),
    pings: v('binance_pings_sent_total'),
    pongs: v('binance_pongs_received_total'),
    pongTimeouts: v('binance_pong_timeouts_total'),
    bufferRecords: v('k2_buffer_records'),
    backfilled: v('k2_trades_backfilled_total'),
    gaps: v('k2_gaps_detected_total'),
    dlq: v('k2_dlq_records_total'),
    unrecoverable: v('k2_unrecoverable_trades_total'),
  };
}
