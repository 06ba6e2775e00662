import { BinanceTrade } from '../../../lib/binance/trade-frame';
import { GapTracker, GapTrackerDeps } from '../../../lib/gaps/gap-tracker';

const trade = (symbol: string, id: number): BinanceTrade => ({
  eventType: 'trade',
  eventTime: id,
  symbol,
  tradeId: id,
  price: '1.0',
  quantity: '1.0',
  tradeTime: id,
  buyerIsMaker: false,
  isBestMatch: true,
});

/** REST over an exchange that has ids [oldest, newest] per symbol. */
function setup(history: { oldest: number; newest: number }, o: Partial<GapTrackerDeps> = {}, cursor: Record<string, number> = {}) {
  const emitted: { id: number; source: string }[] = [];
  const unrecoverable: [number, number, string][] = [];
  const calls: number[] = [];
  const tracker = new GapTracker(['BTCUSDT'], cursor, {
    fetchTrades: async (symbol, fromId, limit) => {
      calls.push(fromId);
      const out: BinanceTrade[] = [];
      for (let id = Math.max(fromId, history.oldest); id <= history.newest && out.length < limit; id++) out.push(trade(symbol, id));
      return out;
    },
    emit: (t, source) => emitted.push({ id: t.tradeId, source }),
    onUnrecoverable: (_s, from, to, reason) => unrecoverable.push([from, to, reason]),
    maxBackfillTrades: 1_000_000,
    catchUpDelayMs: 50,
    pageSize: 10,
    ...o,
  });
  const idle = async () => {
    for (let i = 0; i < 200 && (tracker.backfilling || tracker.pendingCount); i++) await new Promise((r) => setTimeout(r, 5));
  };
  return { tracker, emitted, unrecoverable, calls, idle };
}

describe('gap tracker', () => {
  test('consecutive ids pass straight through; a repeated id is dropped', () => {
    const { tracker, emitted } = setup({ oldest: 1, newest: 100 });
    [10, 11, 12, 11, 12, 13].forEach((id) => tracker.accept(trade('BTCUSDT', id)));
    expect(emitted.map((e) => e.id)).toEqual([10, 11, 12, 13]);
  });

  test('a hole is filled from REST before the live trades that revealed it, in id order', async () => {
    const { tracker, emitted, calls, idle } = setup({ oldest: 1, newest: 100 });
    tracker.accept(trade('BTCUSDT', 10));
    tracker.accept(trade('BTCUSDT', 35)); // 11..34 missing
    tracker.accept(trade('BTCUSDT', 36));
    tracker.accept(trade('BTCUSDT', 36));
    await idle();
    expect(emitted.map((e) => e.id)).toEqual(Array.from({ length: 27 }, (_, i) => 10 + i));
    expect(emitted.filter((e) => e.source === 'backfill').map((e) => e.id)).toEqual(Array.from({ length: 24 }, (_, i) => 11 + i));
    expect(calls).toEqual([11, 21, 31]); // pages of 10
  });

  test('a hole older than REST history is reported with its exact range; the rest is filled', async () => {
    const { tracker, emitted, unrecoverable, idle } = setup({ oldest: 50, newest: 100 }, {}, { BTCUSDT: 20 });
    tracker.accept(trade('BTCUSDT', 60));
    await idle();
    expect(unrecoverable).toEqual([[21, 49, 'older than REST history']]);
    expect(emitted.map((e) => e.id)).toEqual(Array.from({ length: 11 }, (_, i) => 50 + i));
  });

  test('a hole beyond backfill_max_trades: the oldest part is reported, the newest filled', async () => {
    const { tracker, emitted, unrecoverable, idle } = setup({ oldest: 1, newest: 1000 }, { maxBackfillTrades: 5 }, { BTCUSDT: 100 });
    tracker.accept(trade('BTCUSDT', 200));
    await idle();
    expect(unrecoverable).toEqual([[101, 194, 'larger than backfill_max_trades']]);
    expect(emitted.map((e) => e.id)).toEqual([195, 196, 197, 198, 199, 200]);
  });

  test('after a connect, a symbol with no live trade is caught up from REST', async () => {
    const { tracker, emitted, idle } = setup({ oldest: 1, newest: 25 }, {}, { BTCUSDT: 10 });
    tracker.onConnected();
    await new Promise((r) => setTimeout(r, 80));
    await idle();
    expect(emitted.map((e) => e.id)).toEqual(Array.from({ length: 15 }, (_, i) => 11 + i));
    tracker.accept(trade('BTCUSDT', 26));
    expect(emitted.at(-1)!.id).toBe(26);
  });

  test('ids REST never serves are reported after retries, and streaming goes on', async () => {
    const { tracker, emitted, unrecoverable, idle } = setup({ oldest: 1, newest: 5 }, {}, { BTCUSDT: 5 });
    tracker.accept(trade('BTCUSDT', 9));
    for (let i = 0; i < 100 && tracker.backfilling; i++) await new Promise((r) => setTimeout(r, 50));
    await idle();
    expect(unrecoverable).toEqual([[6, 8, 'not served by REST']]);
    expect(emitted.map((e) => e.id)).toEqual([9]);
  }, 15_000);

  test('stop aborts a running backfill and drops its pending trades (the cursor has not moved)', async () => {
    const { tracker, emitted } = setup({ oldest: 1, newest: 100 }, {
      fetchTrades: (_s, _f, _l, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    }, { BTCUSDT: 1 });
    tracker.accept(trade('BTCUSDT', 50));
    await tracker.stop();
    expect(emitted).toEqual([]);
  });
});

describe('gap tracker drain', () => {
  test('catches every symbol up from REST and finishes what is pending', async () => {
    const { tracker, emitted } = setup({ oldest: 1, newest: 40 }, {}, { BTCUSDT: 10 });
    tracker.accept(trade('BTCUSDT', 20)); // hole 11..19, backfill running
    expect(await tracker.drain(5_000)).toBe(true);
    expect(emitted.map((e) => e.id)).toEqual(Array.from({ length: 30 }, (_, i) => 11 + i));
  });

  test("with the exchange's last ids, a many-symbol catch-up asks only the symbols that traded since; without them, every symbol", async () => {
    const symbols = ['AUSDT', 'BUSDT', 'CUSDT', 'DUSDT', 'EUSDT'];
    const newest: Record<string, number> = { AUSDT: 15, BUSDT: 10, CUSDT: 10, DUSDT: 12, EUSDT: 10 };
    const run = async (latestIds?: GapTrackerDeps['latestIds']) => {
      const asked: string[] = [];
      const emitted: string[] = [];
      const tracker = new GapTracker(symbols, Object.fromEntries(symbols.map((s) => [s, 10])), {
        fetchTrades: async (symbol, fromId) => {
          asked.push(symbol);
          return Array.from({ length: Math.max(0, newest[symbol] - fromId + 1) }, (_, i) => trade(symbol, fromId + i));
        },
        emit: (t) => emitted.push(`${t.symbol}:${t.tradeId}`),
        maxBackfillTrades: 1_000,
        catchUpDelayMs: 50,
        latestIds,
      });
      expect(await tracker.drain(2_000)).toBe(true);
      return { asked: asked.sort(), emitted: emitted.sort() };
    };
    const behind = ['AUSDT:11', 'AUSDT:12', 'AUSDT:13', 'AUSDT:14', 'AUSDT:15', 'DUSDT:11', 'DUSDT:12'];
    expect(await run(async () => new Map(Object.entries(newest)))).toEqual({ asked: ['AUSDT', 'DUSDT'], emitted: behind });
    expect(await run()).toEqual({ asked: symbols, emitted: behind });
    // The ticker failing costs only the saving.
    expect(await run(() => Promise.reject(new Error('HTTP 500')))).toEqual({ asked: symbols, emitted: behind });
  });

  test('gives up after its timeout', async () => {
    const { tracker } = setup({ oldest: 1, newest: 100 }, {
      fetchTrades: (_s, _f, _l, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    }, { BTCUSDT: 1 });
    tracker.accept(trade('BTCUSDT', 50));
    expect(await tracker.drain(200)).toBe(false);
    await tracker.stop();
  });
});

describe('gap tracker bounds and id regressions', () => {
  test('a backfill fetches a page only when the writer has room', async () => {
    let room = false;
    let wake = () => {};
    const { tracker, emitted, calls } = setup({ oldest: 1, newest: 100 }, {
      waitForRoom: () => (room ? Promise.resolve() : new Promise<void>((r) => (wake = r))),
    }, { BTCUSDT: 10 });
    tracker.accept(trade('BTCUSDT', 40)); // hole 11..39
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([]);
    expect(emitted).toEqual([]);
    room = true;
    wake();
    expect(await tracker.drain(2_000, false)).toBe(true);
    expect(emitted.map((e) => e.id)).toEqual(Array.from({ length: 30 }, (_, i) => 11 + i));
  });

  test('an id far below the cursor holds the symbol: reported once, nothing emitted, until ids are back in sequence', () => {
    const regressions: [string, number, number][] = [];
    const { tracker, emitted } = setup({ oldest: 1, newest: 1_000_000 }, {
      regressionThreshold: 1_000,
      onRegression: (s, last, seen) => regressions.push([s, last, seen]),
    }, { BTCUSDT: 500_000 });
    tracker.accept(trade('BTCUSDT', 499_999)); // a late duplicate, within the threshold
    tracker.accept(trade('BTCUSDT', 5));
    tracker.accept(trade('BTCUSDT', 6));
    expect(regressions).toEqual([['BTCUSDT', 500_000, 5]]);
    expect(tracker.regressions()).toEqual({ BTCUSDT: expect.objectContaining({ lastId: 500_000, seenId: 5, held: 2 }) });
    expect(emitted).toEqual([]);
    tracker.accept(trade('BTCUSDT', 500_001));
    expect(tracker.regressions()).toEqual({});
    expect(emitted.map((e) => e.id)).toEqual([500_001]);
  });
});
