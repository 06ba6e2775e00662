import { ProcessStat } from '../lib/process-tree';
import { WorkerMetrics } from '../lib/prometheus/worker-scrape';

const MB = 1024 * 1024;

export interface StreamTotals {
  received: number;
  acked: number;
  rotations: number;
  reconnects: Record<string, number>;
  pings: number;
  pongs: number;
  pongTimeouts: number;
  backfilled: number;
  gaps: number;
  dlq: number;
  unrecoverable: number;
}

export interface SoakSample {
  /** Seconds since the start, wall clock. */
  wallS: number;
  /** Seconds of the simulated day (wall × acceleration). */
  dayS: number;
  pid: number | null;
  rssMb: number | null;
  vmsMb: number | null;
  heapUsedMb: number | null;
  heapTotalMb: number | null;
  externalMb: number | null;
  arrayBuffersMb: number | null;
  eventLoopLagMs: number | null;
  /** Share of one core used since the previous sample, in percent. */
  cpuPercent: number | null;
  inPerSecond: number;
  ackedPerSecond: number;
  bufferRecords: number | null;
  leakScore: number | null;
  totals: StreamTotals;
}

type Counters = Omit<StreamTotals, 'reconnects'> & { reconnects: Record<string, number> };

const emptyTotals = (): StreamTotals => ({ received: 0, acked: 0, rotations: 0, reconnects: {}, pings: 0, pongs: 0, pongTimeouts: 0, backfilled: 0, gaps: 0, dlq: 0, unrecoverable: 0 });

function countersOf(m: WorkerMetrics): Counters {
  return {
    received: m.tradesReceived,
    acked: m.tradesProduced,
    rotations: m.rotations,
    reconnects: m.reconnects,
    pings: m.pings,
    pongs: m.pongs,
    pongTimeouts: m.pongTimeouts,
    backfilled: m.backfilled,
    gaps: m.gaps,
    dlq: m.dlq,
    unrecoverable: m.unrecoverable,
  };
}

/**
 * Turns scrapes into samples. Counters restart at zero with every worker process (a chaos kill,
 * a crash): totals add up deltas per process, so they cover the whole soak.
 */
export class SampleSeries {
  readonly samples: SoakSample[] = [];
  private readonly totals = emptyTotals();
  private last: { pid: number; counters: Counters; cpuSeconds: number; wallS: number } | undefined;

  constructor(private readonly accelerate: number) {}

  add(wallS: number, proc: ProcessStat | undefined, m: WorkerMetrics | undefined): SoakSample {
    const prevTotals = { received: this.totals.received, acked: this.totals.acked };
    let cpuPercent: number | null = null;
    if (proc && m) {
      const counters = countersOf(m);
      const same = this.last?.pid === proc.pid;
      const before = same ? this.last!.counters : undefined;
      const delta = (now: number, was: number | undefined) => (was === undefined || now < was ? now : now - was);
      for (const k of ['received', 'acked', 'rotations', 'pings', 'pongs', 'pongTimeouts', 'backfilled', 'gaps', 'dlq', 'unrecoverable'] as const) {
        this.totals[k] += delta(counters[k], before?.[k]);
      }
      for (const [reason, n] of Object.entries(counters.reconnects)) {
        this.totals.reconnects[reason] = (this.totals.reconnects[reason] ?? 0) + delta(n, before?.reconnects[reason]);
      }
      if (same && wallS > this.last!.wallS) cpuPercent = (100 * (proc.cpuSeconds - this.last!.cpuSeconds)) / (wallS - this.last!.wallS);
      this.last = { pid: proc.pid, counters, cpuSeconds: proc.cpuSeconds, wallS };
    }
    const prev = this.samples.at(-1);
    const dt = prev ? wallS - prev.wallS : 0;
    const sample: SoakSample = {
      wallS,
      dayS: wallS * this.accelerate,
      pid: proc?.pid ?? null,
      rssMb: proc ? proc.rssBytes / MB : null,
      vmsMb: proc ? proc.vmsBytes / MB : null,
      heapUsedMb: m ? m.heapUsedBytes / MB : null,
      heapTotalMb: m ? m.heapTotalBytes / MB : null,
      externalMb: m ? m.externalBytes / MB : null,
      arrayBuffersMb: m ? m.arrayBuffersBytes / MB : null,
      eventLoopLagMs: m ? m.eventLoopLagSeconds * 1000 : null,
      cpuPercent,
      inPerSecond: dt > 0 ? (this.totals.received - prevTotals.received) / dt : 0,
      ackedPerSecond: dt > 0 ? (this.totals.acked - prevTotals.acked) / dt : 0,
      bufferRecords: m?.bufferRecords ?? null,
      leakScore: m?.leakScore ?? null,
      totals: { ...this.totals, reconnects: { ...this.totals.reconnects } },
    };
    this.samples.push(sample);
    return sample;
  }
}
