import { parsePromText, PromSamples, promValue } from '../lib/prometheus/prom-text';

// One reading of a worker process's /metrics for the benchmarks: trades acknowledged, the
// process's CPU time (process.cpuUsage() as prom-client exports it), RSS and the frame → ack
// histogram. Two readings give rates, CPU per trade and latency quantiles over the interval.

export interface WorkerSample {
  at: number;
  acked: number;
  cpuSeconds: number;
  rssBytes: number;
  /** k2_pipeline_latency_seconds buckets: upper bound (s) → cumulative count. */
  latency: [number, number][];
}

function buckets(m: PromSamples, name: string): [number, number][] {
  const byLe = new Map<number, number>();
  for (const s of m.get(`${name}_bucket`) ?? []) {
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe].sort((a, b) => a[0] - b[0]);
}

export async function sampleWorker(metricsUrl: string): Promise<WorkerSample | undefined> {
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return undefined;
    const m = parsePromText(await res.text());
    return {
      at: Date.now(),
      acked: promValue(m, 'k2_trades_produced_total'),
      cpuSeconds: promValue(m, 'process_cpu_user_seconds_total') + promValue(m, 'process_cpu_system_seconds_total'),
      rssBytes: promValue(m, 'process_resident_memory_bytes'),
      latency: buckets(m, 'k2_pipeline_latency_seconds'),
    };
  } catch {
    return undefined;
  }
}

/** The q-quantile (seconds) of the observations between two readings, interpolated within its bucket. */
export function quantileBetween(from: WorkerSample, to: WorkerSample, q: number): number {
  const before = new Map(from.latency);
  const counts = to.latency.map(([le, n]) => [le, n - (before.get(le) ?? 0)] as [number, number]);
  const total = counts.at(-1)?.[1] ?? 0;
  if (total <= 0) return NaN;
  const target = q * total;
  let prev: [number, number] = [0, 0];
  for (const [le, n] of counts) {
    if (n >= target) return le === Infinity ? prev[0] : prev[0] + (le - prev[0]) * ((target - prev[1]) / Math.max(1, n - prev[1]));
    prev = [le, n];
  }
  return NaN;
}

export interface IntervalFigures {
  ackedPerSecond: number;
  cpuUsPerTrade: number;
  cpuCores: number;
  p50Ms: number;
  p99Ms: number;
}

export function intervalFigures(from: WorkerSample, to: WorkerSample): IntervalFigures {
  const seconds = (to.at - from.at) / 1000;
  const acked = to.acked - from.acked;
  const cpu = to.cpuSeconds - from.cpuSeconds;
  const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    ackedPerSecond: round(acked / seconds),
    cpuUsPerTrade: acked > 0 ? round((cpu * 1e6) / acked) : NaN,
    cpuCores: round(cpu / seconds, 3),
    p50Ms: round(quantileBetween(from, to, 0.5) * 1000),
    p99Ms: round(quantileBetween(from, to, 0.99) * 1000),
  };
}
