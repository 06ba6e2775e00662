import { formatFleetTable, shardRow } from '../../../cli/fleet-status';
import type { SessionStatus } from '../../../workflows/stream-session-api';

const shard = (index: number, started = true) => ({ index, workflowId: `binance-stream-${index}`, symbols: ['AUSDT', 'BUSDT'], expectedRate: 10, started });
const status = (over: Partial<SessionStatus>): SessionStatus =>
  ({
    state: 'streaming',
    symbols: ['AUSDT', 'BUSDT'],
    rotation: 0,
    perSymbol: {
      AUSDT: { state: 'ok', total: 100, thisRun: 90, lastId: 1, lastTradeTime: '2026-11-29T20:00:09.000Z' },
      BUSDT: { state: 'ok', total: 20, thisRun: 10, lastId: 1, lastTradeTime: '2026-11-29T20:00:05.000Z' },
    },
    firstTradeAt: '2026-11-29T20:00:00.000Z',
    ...over,
  }) as SessionStatus;

describe('k2 fleet status', () => {
  test('a row per shard: trades/s over the run, lag to the newest trade, worker, state; and the total', () => {
    const now = Date.parse('2026-11-29T20:00:11.000Z');
    const rows = [shardRow(shard(1), status({}), '123@host', now), shardRow(shard(2, false), undefined, undefined, now)];
    expect(rows[0]).toMatchObject({ tradesPerSecond: 100 / 9, lagSeconds: 2, worker: '123@host', state: 'streaming' });
    expect(rows[1]).toMatchObject({ tradesPerSecond: undefined, state: 'not started' });
    const table = formatFleetTable({ state: 'running', symbols: 4, refreshes: 1, lastRefresh: undefined, nextRefreshAt: undefined }, rows);
    expect(table.split('\n')).toEqual([
      'fleet running, 4 symbols, 1 refreshes; not planned yet',
      'shard  session           symbols  expected/s  trades/s    lag s  worker     state',
      '1      binance-stream-1        2        10.0      11.1      2.0  123@host   streaming',
      '2      binance-stream-2        2        10.0         -        -  -          not started',
      'total  2 sessions              4        20.0      11.1  max 2.0  1 workers  1 streaming',
    ]);
  });

  test("a large session's row comes from its totals over all symbols, not the few its report named", () => {
    const now = Date.parse('2026-11-29T20:00:11.000Z');
    const large = status({
      overall: { symbols: 200, total: 5_000, thisRun: 900, lastTradeTime: '2026-11-29T20:00:10.000Z', silent: 12, held: 0 },
      reported: ['AUSDT', 'BUSDT'],
    });
    expect(shardRow(shard(1), large, '123@host', now)).toMatchObject({ tradesPerSecond: 90, lagSeconds: 1 });
  });
});
