import type { RegressionState } from '../gaps/gap-tracker';
import type { Cursor } from './cursor';
import type { PipelineProgress, SymbolProgress } from './pipeline-progress';

// What a run's progress signal carries to its workflow. Every signal is an event in the
// session's history, so a report of all of a fleet shard's 200 symbols (up to 1,024) would fill
// the history long before the run's lifetime: a report names at most REPORT_SYMBOLS_MAX symbols
// and sums up the rest. The cursor of every symbol is not in it: heartbeats (a retried attempt)
// and the activity's result (the next run) carry that. Pure, as the workflow bundle imports it.

/** Symbols a report names: every symbol of a session this small, the ones that matter of a larger one. */
export const REPORT_SYMBOLS_MAX = 16;
/** Of those, the symbols whose last trade is oldest (the most lagging of those that traded). */
const LAGGING = 4;

/** All of a run's symbols together. */
export interface RunTotals {
  symbols: number;
  /** Trades acknowledged by Kafka in this run, all symbols. */
  count: number;
  /** Symbols without a trade written in this run. */
  silent: number;
  /** Symbols held for an id regression. */
  held: number;
  /** The newest and the oldest last trade among the symbols that traded (trade time, µs). */
  newestTradeTimeUs?: number;
  oldestTradeTimeUs?: number;
}

export interface ProgressReport extends Omit<PipelineProgress, 'cursor'> {
  /** Every symbol of a session of at most REPORT_SYMBOLS_MAX; of a larger one, those that matter (`notableSymbols`). */
  symbols: Record<string, SymbolProgress>;
  /** Held symbols, at most REPORT_SYMBOLS_MAX of them (`overall.held` counts them all). */
  regressions: Record<string, RegressionState>;
  /** Absent from the reports of workers before the reports were bounded. */
  overall?: RunTotals;
  /** Only the reports of workers before the reports were bounded carry it: every symbol's last id. */
  cursor?: Cursor;
}

export function runTotals(symbols: Record<string, SymbolProgress>, regressions: Record<string, unknown>): RunTotals {
  const all = Object.values(symbols);
  const times = all.map((p) => p.lastTradeTimeUs).filter((t): t is number => t !== undefined);
  return {
    symbols: all.length,
    count: all.reduce((n, p) => n + p.count, 0),
    silent: all.filter((p) => p.count === 0).length,
    held: Object.keys(regressions).length,
    ...(times.length ? { newestTradeTimeUs: Math.max(...times), oldestTradeTimeUs: Math.min(...times) } : {}),
  };
}

/**
 * The symbols an operator looks at first, in this order, at most `max`: held ones (id
 * regression), the one the last error names, the most lagging of those that traded, then the
 * busiest. The busiest stay the same from report to report, so their rates can be measured.
 */
export function notableSymbols(p: Pick<PipelineProgress, 'symbols' | 'regressions' | 'lastError'>, max = REPORT_SYMBOLS_MAX): string[] {
  const chosen = new Set<string>();
  const add = (symbols: string[], limit = max) => {
    for (const s of symbols) if (chosen.size < Math.min(max, limit) && s in p.symbols) chosen.add(s);
  };
  const entries = Object.entries(p.symbols);
  add(Object.keys(p.regressions).sort());
  add((p.lastError?.match(/\b[A-Z0-9]{2,}\b/g) ?? []).filter((w) => w in p.symbols));
  const traded = entries.filter(([, s]) => s.lastTradeTimeUs !== undefined);
  add(
    traded
      .sort(([a, x], [b, y]) => x.lastTradeTimeUs! - y.lastTradeTimeUs! || a.localeCompare(b))
      .map(([s]) => s),
    chosen.size + LAGGING,
  );
  add(entries.sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b)).map(([s]) => s));
  return [...chosen];
}

const pick = <T>(from: Record<string, T>, keys: string[]): Record<string, T> => Object.fromEntries(keys.filter((k) => k in from).map((k) => [k, from[k]]));

/** A run's progress as its signal carries it: bounded, whatever the number of symbols. */
export function progressReport(p: PipelineProgress, max = REPORT_SYMBOLS_MAX): ProgressReport {
  const { cursor: _everySymbol, symbols, regressions, ...run } = p;
  const overall = runTotals(symbols, regressions);
  if (overall.symbols <= max && overall.held <= max) return { ...run, symbols, regressions, overall };
  const named = notableSymbols(p, max);
  return { ...run, symbols: pick(symbols, named), regressions: pick(regressions, Object.keys(regressions).sort().slice(0, max)), overall };
}

/** The last ids a report names: the cursor of those symbols. */
export function lastIds(symbols: Record<string, SymbolProgress>): Cursor {
  const out: Cursor = {};
  for (const [s, p] of Object.entries(symbols)) if (p.lastId !== undefined) out[s] = p.lastId;
  return out;
}

/**
 * Per symbol, the later of several snapshots of one run (progress reports, the last heartbeat):
 * the one with the higher count, whose count and last id belong together. A run that ended
 * without a result hands these over.
 */
export function latestSymbols(...snapshots: (Record<string, SymbolProgress> | undefined)[]): Record<string, SymbolProgress> {
  const out: Record<string, SymbolProgress> = {};
  for (const snapshot of snapshots) {
    for (const [s, p] of Object.entries(snapshot ?? {})) if (!out[s] || p.count > out[s].count) out[s] = p;
  }
  return out;
}
