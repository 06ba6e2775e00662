import type { PipelineProgress } from '../../../lib/pipeline/pipeline-progress';
import { progressReport, ProgressReport } from '../../../lib/pipeline/progress-report';
import { SessionView, sessionDetails, sessionMetadata, sessionStatus } from '../../../workflows/stream-session-status';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

function report(at: number, counts: Record<string, number>, extra: Partial<PipelineProgress> = {}): PipelineProgress {
  return {
    state: 'streaming',
    at,
    topic: 'market.crypto.trades.binance',
    cursor: {},
    symbols: Object.fromEntries(Object.entries(counts).map(([s, count]) => [s, { count, lastId: 100 + count, lastTradeTimeUs: (at - 250) * 1000 }])),
    connectedSince: T0 - 60_000,
    firstTradeAt: T0 - 59_000,
    bufferDepth: 3,
    reconnects: 1,
    gapsFilled: 0,
    lastError: undefined,
    cursorMayLag: false,
    regressions: {},
    ...extra,
  };
}

function view(o: Partial<SessionView> = {}): SessionView {
  return {
    state: 'streaming',
    symbols: ['BTCUSDT', 'ETHUSDT'],
    rotation: 4,
    lastRotationReason: 'lifetime',
    startedAt: '2026-11-29T08:00:00.000Z',
    cursor: { BTCUSDT: 150, ETHUSDT: 120 },
    totals: { BTCUSDT: 1_000, ETHUSDT: 500 },
    progress: undefined,
    previousProgress: undefined,
    seen: {},
    regressions: {},
    resetting: [],
    lastRunLost: undefined,
    build: 'b7',
    ...o,
  };
}

describe('session status', () => {
  it('adds this run to the earlier runs, and gives rates and lag once two reports came', () => {
    const s = sessionStatus(view({ previousProgress: report(T0, { BTCUSDT: 10, ETHUSDT: 5 }), progress: report(T0 + 2_000, { BTCUSDT: 50, ETHUSDT: 5 }) }));
    expect(s.perSymbol.BTCUSDT).toEqual({
      state: 'ok',
      total: 1_050,
      thisRun: 50,
      lastId: 150,
      lastTradeTime: new Date(T0 + 2_000 - 250).toISOString(),
      ratePerSec: 20,
      lagMs: 250,
    });
    expect(s.perSymbol.ETHUSDT.ratePerSec).toBe(0);
    expect(s).toMatchObject({ state: 'streaming', rotation: 4, pipelineState: 'streaming', bufferDepth: 3, reconnects: 1, topic: 'market.crypto.trades.binance', build: 'b7' });
    expect(s.connectedSince).toBe(new Date(T0 - 60_000).toISOString());
  });

  it('has no rate from one report, nor from reports without a time (a worker of an older build)', () => {
    expect(sessionStatus(view({ progress: report(T0, { BTCUSDT: 10 }) })).perSymbol.BTCUSDT.ratePerSec).toBeUndefined();
    const old = sessionStatus(view({ previousProgress: report(T0, { BTCUSDT: 1 }, { at: undefined }), progress: report(T0, { BTCUSDT: 9 }, { at: undefined }) }));
    expect(old.perSymbol.BTCUSDT).not.toHaveProperty('ratePerSec');
    expect(old.perSymbol.BTCUSDT).not.toHaveProperty('lagMs');
  });

  it('between runs: totals and cursor only, and why the last run was lost', () => {
    const s = sessionStatus(view({ state: 'rotating', lastRunLost: 'run 3 ended without a result: worker lost' }));
    expect(s.perSymbol.ETHUSDT).toEqual({ state: 'ok', total: 500, thisRun: 0, lastId: 120, lastTradeTime: undefined });
    expect(s.lastError).toBe('run 3 ended without a result: worker lost');
    expect(s.pipelineState).toBeUndefined();
  });

  it('marks a held symbol id_regression until an operator reset is pending', () => {
    const regression = { lastId: 5_000_000, seenId: 12, since: T0, held: 30 };
    const held = sessionStatus(view({ progress: report(T0, { BTCUSDT: 1, ETHUSDT: 1 }, { regressions: { ETHUSDT: regression } }) }));
    expect(held.perSymbol.ETHUSDT).toMatchObject({ state: 'id_regression', regression });
    expect(sessionStatus(view({ regressions: { ETHUSDT: regression }, resetting: ['ETHUSDT'] })).perSymbol.ETHUSDT.state).toBe('ok');
  });
});

/** A session of `n` symbols: S0USDT trades most; the reports the workflow gets, as the activity bounds them. */
function largeSession(n: number) {
  const symbols = Array.from({ length: n }, (_, i) => `S${i}USDT`);
  const full = (at: number, k: number) =>
    report(at, Object.fromEntries(symbols.map((s, i) => [s, i === n - 1 ? 0 : (n - i) * k])), {
      // The last symbol never trades; S1USDT's last trade is the oldest.
      symbols: Object.fromEntries(
        symbols.map((s, i) => [s, i === n - 1 ? { count: 0, lastId: undefined, lastTradeTimeUs: undefined } : { count: (n - i) * k, lastId: 1_000 + (n - i) * k, lastTradeTimeUs: (at - (i === 1 ? 60_000 : 250)) * 1000 }]),
      ),
    });
  const seen = (...reports: ProgressReport[]) => Object.fromEntries(reports.flatMap((r) => Object.entries(r.symbols).map(([s, p]) => [s, { ...p, at: r.at }])));
  return { symbols, full, seen };
}

describe('status of a session larger than a report', () => {
  const { symbols, full, seen } = largeSession(200);
  const before = progressReport(full(T0, 1));
  const now = progressReport(full(T0 + 2_000, 2));
  const earlier: ProgressReport = { ...progressReport(full(T0 - 60_000, 1)), symbols: { S150USDT: { count: 7, lastId: 1_007, lastTradeTimeUs: (T0 - 61_000) * 1000 } } };
  const s = sessionStatus(view({ symbols, totals: { S0USDT: 1_000, S150USDT: 5 }, cursor: {}, previousProgress: before, progress: now, seen: seen(earlier, before, now) }));

  it('sums up every symbol exactly, whatever the report names', () => {
    const thisRun = Array.from({ length: 199 }, (_, i) => (200 - i) * 2).reduce((a, b) => a + b, 0);
    expect(s.overall).toEqual({
      symbols: 200,
      total: 1_005 + thisRun,
      thisRun,
      ratePerSec: (thisRun / 2) / 2,
      lastTradeTime: new Date(T0 + 2_000 - 250).toISOString(),
      lagMs: 250,
      silent: 1,
      held: 0,
    });
  });

  it('gives the named symbols live, and the others as of the last report that named them', () => {
    expect(s.reported).toHaveLength(16);
    expect(s.reported).toEqual(expect.arrayContaining(['S0USDT', 'S1USDT']));
    expect(s.perSymbol.S0USDT).toMatchObject({ total: 1_400, thisRun: 400, ratePerSec: 100, lagMs: 250 });
    expect(s.perSymbol.S0USDT).not.toHaveProperty('asOf');
    expect(s.perSymbol.S150USDT).toEqual({ state: 'ok', total: 12, thisRun: 7, lastId: undefined, lastTradeTime: new Date(T0 - 61_000).toISOString(), asOf: new Date(T0 - 60_000).toISOString() });
    expect(s.perSymbol.S60USDT).toEqual({ state: 'ok', total: 0, thisRun: 0, lastId: undefined, lastTradeTime: undefined });
  });

  it('is a small session as before: every symbol live, no `reported`', () => {
    const small = sessionStatus(view({ progress: progressReport(report(T0, { BTCUSDT: 10, ETHUSDT: 0 })) }));
    expect(small).not.toHaveProperty('reported');
    expect(small.overall).toMatchObject({ symbols: 2, total: 1_510, thisRun: 10, silent: 1, held: 0 });
  });

  it("sums up a report of an older worker's, which names every symbol", () => {
    const old = sessionStatus(view({ symbols, cursor: {}, progress: full(T0, 1) }));
    expect(old).not.toHaveProperty('reported');
    expect(old.overall).toMatchObject({ symbols: 200, thisRun: Array.from({ length: 199 }, (_, i) => 200 - i).reduce((a, b) => a + b, 0), silent: 1 });
  });

  it('leads the Web UI details with all symbols, then lists the named ones', () => {
    const text = sessionDetails(s);
    const lines = text.split('\n');
    expect(lines).toContain(`All 200 symbols: ${((s.overall.thisRun / 2) / 2).toFixed(1)}/s, newest trade 0.3 s old, ${s.overall.total} written (${s.overall.thisRun} this run), 1 without a trade this run, 0 held`);
    expect(lines.filter((l) => l.startsWith('- S'))).toHaveLength(16);
    expect(text).toContain('- S0USDT: 100.0/s, last trade 0.3 s old, 1400 written (400 this run)');
    expect(text).toContain('- … and 184 more: query `status`');
  });
});

describe('session details (the Web UI)', () => {
  it('says the state, rotation, build, and per symbol the rate, the last trade age and the totals', () => {
    const s = sessionStatus(view({ previousProgress: report(T0, { BTCUSDT: 10, ETHUSDT: 5 }), progress: report(T0 + 2_000, { BTCUSDT: 50, ETHUSDT: 5 }) }));
    expect(sessionDetails(s)).toBe(
      [
        '**streaming** · rotation 4 (last: lifetime) · build `b7`',
        '',
        `pipeline streaming · into \`market.crypto.trades.binance\` · connected since ${new Date(T0 - 60_000).toISOString()} · buffer 3 · reconnects 1`,
        '',
        '- BTCUSDT: 20.0/s, last trade 0.3 s old, 1050 written (50 this run), last id 150',
        '- ETHUSDT: 0.0/s, last trade 0.3 s old, 505 written (5 this run), last id 120',
      ].join('\n'),
    );
  });

  it('names a held symbol with its fix, and the last error', () => {
    const regression = { lastId: 5_000_000, seenId: 12, since: T0, held: 30 };
    const text = sessionDetails(sessionStatus(view({ state: 'rotating', regressions: { ETHUSDT: regression }, lastRunLost: 'worker lost' })));
    expect(text).toContain('pipeline not reporting yet');
    expect(text).toContain('- **ETHUSDT: id regression** — live id 12 is far below cursor 5000000; 30 trades held. Fix: `k2 stream reset-cursor --symbol ETHUSDT`');
    expect(text).toContain('Last error: worker lost');
  });

  it('lists at most 50 symbols: the rest are a query away', () => {
    const symbols = Array.from({ length: 120 }, (_, i) => `S${i}USDT`);
    const text = sessionDetails(sessionStatus(view({ symbols })));
    expect(text.split('\n').filter((l) => l.startsWith('- S'))).toHaveLength(50);
    expect(text).toContain('- … and 70 more: query `status`');
  });
});

describe('session metadata (set at start)', () => {
  it('summarises symbols, topic and build on one line', () => {
    const m = sessionMetadata({ symbols: ['BTCUSDT', 'ETHUSDT'], topic: 'market.crypto.trades.binance', dlqTopic: 'market.crypto.trades.binance.dlq', build: 'b7', workflowId: 'binance-stream' });
    expect(m.staticSummary).toBe('BTCUSDT, ETHUSDT → market.crypto.trades.binance · build b7');
    expect(m.staticDetails).toContain('`temporal workflow signal --workflow-id binance-stream --name rotate`');
    expect(m.staticDetails).toContain('dead letters: `market.crypto.trades.binance.dlq`');
  });

  it('keeps the summary within the 400 bytes the Web UI keeps, however many symbols', () => {
    const symbols = Array.from({ length: 200 }, (_, i) => `SYM${i}USDT`);
    const { staticSummary } = sessionMetadata({ symbols, topic: 'market.crypto.trades.binance', build: 'b7', workflowId: 'binance-stream-1' });
    expect(new TextEncoder().encode(staticSummary).length).toBeLessThanOrEqual(400);
    expect(staticSummary).toMatch(/^SYM0USDT, SYM1USDT, .* \+\d+ more → market\.crypto\.trades\.binance · build b7$/);
  });
});
