import type { PipelineProgress, SymbolProgress } from '../../../lib/pipeline/pipeline-progress';
import { lastIds, latestSymbols, notableSymbols, progressReport, REPORT_SYMBOLS_MAX } from '../../../lib/pipeline/progress-report';

const AT = Date.UTC(2026, 10, 29, 12, 0, 0);

/** A run of `n` symbols: S<i>USDT wrote n - i trades, its last one i ms before the report; the last never traded. */
function progress(n: number, extra: Partial<PipelineProgress> = {}): PipelineProgress {
  const symbols: Record<string, SymbolProgress> = {};
  for (let i = 0; i < n; i++) {
    symbols[`S${i}USDT`] = i === n - 1 ? { count: 0, lastId: 500, lastTradeTimeUs: undefined } : { count: n - i, lastId: 1_000 + i, lastTradeTimeUs: (AT - i) * 1000 };
  }
  return {
    state: 'streaming',
    at: AT,
    topic: 'market.crypto.trades.binance',
    cursor: Object.fromEntries(Object.entries(symbols).map(([s, p]) => [s, p.lastId!])),
    symbols,
    connectedSince: AT - 60_000,
    firstTradeAt: AT - 59_000,
    bufferDepth: 0,
    reconnects: 0,
    gapsFilled: 0,
    lastError: undefined,
    cursorMayLag: false,
    regressions: {},
    ...extra,
  };
}

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
const regression = { lastId: 5_000_000, seenId: 12, since: AT, held: 3 };

describe('progress report', () => {
  it('names every symbol of a small session, without the cursor (the symbols carry their last ids)', () => {
    const p = progress(3);
    const r = progressReport(p);
    expect(r.symbols).toEqual(p.symbols);
    expect(r).not.toHaveProperty('cursor');
    expect(r.overall).toEqual({ symbols: 3, count: 5, silent: 1, held: 0, newestTradeTimeUs: AT * 1000, oldestTradeTimeUs: (AT - 1) * 1000 });
    expect(lastIds(r.symbols)).toEqual(p.cursor);
  });

  it('names at most a few symbols of a large one, and sums up all of them', () => {
    const r = progressReport(progress(200));
    expect(Object.keys(r.symbols)).toHaveLength(REPORT_SYMBOLS_MAX);
    expect(r.overall).toEqual({ symbols: 200, count: (200 * 201) / 2 - 1, silent: 1, held: 0, newestTradeTimeUs: AT * 1000, oldestTradeTimeUs: (AT - 198) * 1000 });
  });

  it('does not grow with the number of symbols', () => {
    const sizes = [20, 200, 1_024].map((n) => bytes(progressReport(progress(n))));
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(100);
    expect(Math.max(...sizes)).toBeLessThan(2_000);
    // What a report of every symbol took: about 100 bytes a symbol.
    expect(bytes(progress(200))).toBeGreaterThan(15_000);
  });

  it('names held symbols first, then the one the last error names, the most lagging, the busiest', () => {
    const p = progress(200, { regressions: { S150USDT: regression }, lastError: 'unrecoverable gap S120USDT 5..9 (older than REST history)' });
    const named = notableSymbols(p);
    expect(named.slice(0, 2)).toEqual(['S150USDT', 'S120USDT']);
    // Lagging: the oldest last trades of those that traded (S199USDT never did).
    expect(named.slice(2, 6)).toEqual(['S198USDT', 'S197USDT', 'S196USDT', 'S195USDT']);
    expect(named.slice(6)).toEqual(Array.from({ length: 10 }, (_, i) => `S${i}USDT`));
    expect(progressReport(p).regressions).toEqual({ S150USDT: regression });
  });

  it('keeps at most the bound of held symbols, and counts them all', () => {
    const regressions = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`S${i}USDT`, regression]));
    const r = progressReport(progress(200, { regressions }));
    expect(Object.keys(r.regressions)).toHaveLength(REPORT_SYMBOLS_MAX);
    expect(Object.keys(r.symbols).every((s) => s in r.regressions)).toBe(true);
    expect(r.overall?.held).toBe(40);
  });
});

describe('latest symbols of a lost run', () => {
  it('takes per symbol the snapshot with the higher count, its last id with it', () => {
    const report = { A: { count: 20, lastId: 120, lastTradeTimeUs: 2 }, B: { count: 3, lastId: 903, lastTradeTimeUs: 1 } };
    const heartbeat = { A: { count: 16, lastId: 116, lastTradeTimeUs: 1 }, B: { count: 5, lastId: 905, lastTradeTimeUs: 2 }, C: { count: 1, lastId: 7, lastTradeTimeUs: 2 } };
    expect(latestSymbols(report, heartbeat)).toEqual({ A: report.A, B: heartbeat.B, C: heartbeat.C });
    expect(latestSymbols(undefined, report)).toEqual(report);
  });
});
