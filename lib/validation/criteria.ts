import type { FiredAlert } from '../prometheus/prom-api';

// What a day of production must show (the plan's step 09 and the project's own bars), and the
// figures a day's check measures. Pure, and free of Node imports: the workflow imports its types
// and the defaults.

/** Bars that are numbers of their own; the expected rotations and pings follow from the settings. */
export interface ValidationBars {
  /** The plan's band for worker RSS; a day passes if RSS never exceeds the upper end. */
  rssBandMb: [number, number];
  minTradesPerSecond: number;
  maxGrowthMbPerDay: number;
  maxLeakScore: number;
}

export const DEFAULT_BARS: ValidationBars = { rssBandMb: [200, 250], minTradesPerSecond: 10, maxGrowthMbPerDay: 10, maxLeakScore: 0.5 };

/** The settings in force when a check runs: what the expected counts follow from. */
export interface SettingsInForce {
  connection_max_lifetime_hours: number;
  ping_interval_seconds: number;
}

export interface Expected {
  windowSeconds: number;
  rotations: { expected: number; min: number; max: number; because: string };
  pings: { expected: number; min: number; max: number; because: string };
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * Rotations: one per connection lifetime (6 a day at 4 h), give or take the one a window's edges
 * cut in two. Pings: one per ping interval (480 a day at 180 s); every new connection restarts
 * the interval after a handover without one, so each rotation may cost up to two (at a short
 * interval; one at 180 s), and 5% of the day absorbs reconnects.
 */
export function expectedCounts(s: SettingsInForce, windowSeconds: number): Expected {
  const rotations = windowSeconds / (s.connection_max_lifetime_hours * 3600);
  const pings = windowSeconds / s.ping_interval_seconds;
  const pingSlack = Math.max(Math.ceil(pings * 0.05), 2 * Math.ceil(rotations) + 2);
  return {
    windowSeconds,
    rotations: {
      expected: round(rotations),
      min: Math.max(0, Math.floor(rotations) - 1),
      max: Math.ceil(rotations) + 1,
      because: `${Number((windowSeconds / 3600).toPrecision(3))} h / connection_max_lifetime_hours ${Number(s.connection_max_lifetime_hours.toPrecision(4))}`,
    },
    pings: {
      expected: round(pings),
      min: Math.max(0, Math.floor(pings) - pingSlack),
      max: Math.ceil(pings) + 1,
      because: `${round(windowSeconds)} s / ping_interval_seconds ${s.ping_interval_seconds}`,
    },
  };
}

export interface MemoryFigures {
  minMb: number;
  maxMb: number;
  /** Fitted RSS growth over 24 h (the worst worker instance). */
  growthMbPerDay: number;
  samples: number;
}

export interface SymbolCompleteness {
  records: number;
  firstId: number;
  lastId: number;
  missing: number;
  duplicated: number;
}

/** `k2 audit` over the day's records, plus the hole, if any, between yesterday's last id and today's first. */
export interface Completeness {
  topic: string;
  records: number;
  missing: number;
  duplicated: number;
  symbols: Record<string, SymbolCompleteness>;
  /** Up to ten holes, for the report. */
  holes: { symbol: string; from: number; to: number }[];
}

export interface DayFigures {
  trades: number;
  tradesPerSecond: number;
  rotations: number;
  pings: number;
  pongs: number;
  pongTimeouts: number;
  reconnects: Record<string, number>;
  unrecoverableTrades: number;
  memory: MemoryFigures | null;
  /** Highest memory_leak_detection_score seen in the window. */
  leakScoreMax: number | null;
  /** null: not evaluated (no Prometheus to ask). */
  alerts: FiredAlert[] | null;
  completeness: Completeness | null;
}

export type CriterionStatus = 'pass' | 'fail' | 'unmeasured';

export interface Criterion {
  name: string;
  source: 'plan' | 'k2';
  bar: string;
  value: number | string | null;
  status: CriterionStatus;
}

function criterion(name: string, source: 'plan' | 'k2', bar: string, value: number | string | null | undefined, pass: boolean | undefined): Criterion {
  return { name, source, bar, value: value ?? null, status: value === null || value === undefined || pass === undefined ? 'unmeasured' : pass ? 'pass' : 'fail' };
}

/** The plan's criteria, then the project's: each passes, fails, or could not be measured. */
/** Growth per day fitted over less than an hour says nothing (a GC cycle would read as gigabytes a day). */
export const MIN_GROWTH_WINDOW_SECONDS = 3600;

export function evaluateDay(f: DayFigures, e: Expected, bars: ValidationBars): Criterion[] {
  const growth = f.memory && e.windowSeconds >= MIN_GROWTH_WINDOW_SECONDS ? f.memory.growthMbPerDay : null;
  const critical = f.alerts?.filter((a) => a.severity === 'critical');
  const m = f.memory;
  const c = f.completeness;
  return [
    criterion('worker RSS', 'plan', `≤ ${bars.rssBandMb[1]} MB (band ${bars.rssBandMb[0]}–${bars.rssBandMb[1]})`, m ? `${round(m.minMb, 1)}–${round(m.maxMb, 1)} MB` : null, m ? m.maxMb <= bars.rssBandMb[1] : undefined),
    criterion('rotations', 'plan', `${e.rotations.min}–${e.rotations.max} (${e.rotations.expected} = ${e.rotations.because})`, f.rotations, f.rotations >= e.rotations.min && f.rotations <= e.rotations.max),
    criterion('pings sent', 'plan', `${e.pings.min}–${e.pings.max} (${e.pings.expected} = ${e.pings.because})`, f.pings, f.pings >= e.pings.min && f.pings <= e.pings.max),
    criterion('trades acknowledged per second', 'plan', `> ${bars.minTradesPerSecond}`, round(f.tradesPerSecond), f.tradesPerSecond > bars.minTradesPerSecond),
    criterion('critical alerts fired', 'plan', 'none', critical ? critical.map((a) => a.alertname).join(', ') || 'none' : null, critical ? critical.length === 0 : undefined),
    criterion('missing trade ids', 'k2', '0', c ? c.missing : null, c ? c.missing === 0 : undefined),
    criterion('duplicated trade ids', 'k2', '0', c ? c.duplicated : null, c ? c.duplicated === 0 : undefined),
    criterion('leak score (max)', 'k2', `< ${bars.maxLeakScore}`, f.leakScoreMax === null ? null : round(f.leakScoreMax, 3), f.leakScoreMax === null ? undefined : f.leakScoreMax < bars.maxLeakScore),
    criterion('RSS growth per day', 'k2', `< ${bars.maxGrowthMbPerDay} MB (over windows ≥ 1 h)`, growth === null ? null : round(growth, 1), growth === null ? undefined : growth < bars.maxGrowthMbPerDay),
  ];
}

/** A day passes when no criterion fails; what could not be measured is listed, not passed over. */
export function dayPasses(criteria: Criterion[]): boolean {
  return criteria.every((c) => c.status !== 'fail');
}
