import { leakScore } from '../lib/memory/leak-score';
import type { FiredAlert } from '../lib/prometheus/prom-api';
import { SoakSample } from './soak-samples';

export type { FiredAlert };

// The soak's verdict: the original plan's bars (step 07: growth < 50 MB, > 10 msg/s, < 10 drops)
// and the project's own, stricter ones. Pure: the runner hands it numbers.

export interface MemoryFit {
  /** The worker process the fit is over: the longest one (a chaos kill starts a new one). */
  pid: number | null;
  samples: number;
  slopeMbPerHour: number;
  r2: number;
  /** Fitted growth over one simulated day (24 h / acceleration of wall time). */
  growthPer24hMb: number;
  /** Mean RSS over the last simulated hour minus the first one after warm-up. */
  lastHourMinusFirstHourMb: number;
  /** 95th percentile of RSS after warm-up. */
  steadyRssMb: number;
  peakRssMb: number;
  steadyHeapUsedMb: number;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0;
};
const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);

export function memoryFit(samples: SoakSample[], o: { accelerate: number; warmupFraction?: number }): MemoryFit {
  // Longest stretch of samples from one worker process.
  let best: SoakSample[] = [];
  let run: SoakSample[] = [];
  for (const s of samples) {
    if (s.rssMb === null) continue;
    if (run.length && run[run.length - 1].pid !== s.pid) run = [];
    run.push(s);
    if (run.length > best.length) best = run;
  }
  const empty = { pid: null, samples: 0, slopeMbPerHour: 0, r2: 0, growthPer24hMb: 0, lastHourMinusFirstHourMb: 0, steadyRssMb: 0, peakRssMb: 0, steadyHeapUsedMb: 0 };
  if (best.length === 0) return empty;
  const start = best[0].wallS;
  const span = best[best.length - 1].wallS - start;
  const steady = best.filter((s) => s.wallS >= start + span * (o.warmupFraction ?? 0.1));
  const fit = leakScore(steady.map((s) => ({ at: s.wallS * 1000, rssBytes: s.rssMb! * 1024 * 1024 })));
  // A simulated hour of wall time, but at least a quarter of what is left after warm-up.
  const steadySpan = steady.length ? steady[steady.length - 1].wallS - steady[0].wallS : 0;
  const hour = Math.min(3_600 / o.accelerate, steadySpan / 4);
  const first = steady.filter((s) => s.wallS <= steady[0].wallS + hour).map((s) => s.rssMb!);
  const last = steady.filter((s) => s.wallS >= steady[steady.length - 1].wallS - hour).map((s) => s.rssMb!);
  return {
    pid: best[0].pid,
    samples: steady.length,
    slopeMbPerHour: fit.slopeMbPerHour,
    r2: fit.r2,
    growthPer24hMb: (fit.slopeMbPerHour * 24) / o.accelerate,
    lastHourMinusFirstHourMb: mean(last) - mean(first),
    steadyRssMb: percentile(steady.map((s) => s.rssMb!), 0.95),
    peakRssMb: Math.max(...best.map((s) => s.rssMb!)),
    steadyHeapUsedMb: percentile(steady.filter((s) => s.heapUsedMb !== null).map((s) => s.heapUsedMb!), 0.95),
  };
}

export interface GroundTruthResult {
  symbols: number;
  /** Symbols with no record at all: every one of their ids is missing. */
  symbolsWithoutRecords: string[];
  written: number;
  missing: number;
  duplicated: number;
  outOfOrder: number;
}


export interface Check {
  name: string;
  source: 'plan' | 'k2';
  bar: string;
  value: number | string;
  pass: boolean;
}

export interface VerdictInput {
  memory: MemoryFit;
  /** Trades acknowledged per simulated second. */
  meanRate: number;
  truth: GroundTruthResult | undefined;
  leakScore: number | null;
  alerts: FiredAlert[] | undefined;
  bars: { maxRssMb: number; maxGrowthMb: number; maxLeakScore: number };
}

export function verdict(i: VerdictInput): { pass: boolean; checks: Check[] } {
  const round = (v: number) => Math.round(v * 100) / 100;
  const t = i.truth;
  const missing = t ? t.missing : NaN;
  const critical = (i.alerts ?? []).filter((a) => a.severity === 'critical').map((a) => a.alertname);
  const checks: Check[] = [
    { name: 'memory growth per 24 h', source: 'plan', bar: '< 50 MB', value: round(i.memory.growthPer24hMb), pass: i.memory.growthPer24hMb < 50 },
    { name: 'mean rate', source: 'plan', bar: '> 10 trades/s', value: round(i.meanRate), pass: i.meanRate > 10 },
    { name: 'drops (missing ids)', source: 'plan', bar: '< 10', value: missing, pass: missing < 10 },
    { name: 'memory growth per 24 h', source: 'k2', bar: `≤ ${i.bars.maxGrowthMb} MB`, value: round(i.memory.growthPer24hMb), pass: i.memory.growthPer24hMb <= i.bars.maxGrowthMb },
    { name: 'steady RSS (p95 after warm-up)', source: 'k2', bar: `≤ ${i.bars.maxRssMb} MB`, value: round(i.memory.steadyRssMb), pass: i.memory.samples > 0 && i.memory.steadyRssMb <= i.bars.maxRssMb },
    { name: 'missing ids', source: 'k2', bar: '0', value: missing, pass: missing === 0 },
    { name: 'duplicated ids', source: 'k2', bar: '0', value: t ? t.duplicated : NaN, pass: !!t && t.duplicated === 0 },
    { name: 'ids out of order per symbol', source: 'k2', bar: '0', value: t ? t.outOfOrder : NaN, pass: !!t && t.outOfOrder === 0 },
    { name: 'symbols with trades in the topic', source: 'k2', bar: 'all', value: t ? `${t.symbols - t.symbolsWithoutRecords.length}/${t.symbols}` : 'not checked', pass: !!t && t.written > 0 && t.symbolsWithoutRecords.length === 0 },
    { name: 'leak score at the end', source: 'k2', bar: `< ${i.bars.maxLeakScore}`, value: i.leakScore ?? 'n/a', pass: i.leakScore !== null && i.leakScore < i.bars.maxLeakScore },
    { name: 'critical alerts fired', source: 'k2', bar: 'none', value: i.alerts ? critical.join(', ') || 'none' : 'not evaluated', pass: !!i.alerts && critical.length === 0 },
  ];
  return { pass: checks.every((c) => c.pass), checks };
}
