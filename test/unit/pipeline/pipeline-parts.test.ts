import { EventEmitter } from 'node:events';
import { Backpressure } from '../../../lib/pipeline/backpressure';
import { CommitLedger } from '../../../lib/pipeline/commit-ledger';
import { badFrame, idRegression, unrecoverableGap } from '../../../lib/pipeline/dead-letters';

describe('commit ledger', () => {
  it('moves the cursor only forward, only for trades, and counts per symbol', () => {
    const ledger = new CommitLedger(['BTCUSDT', 'ETHUSDT'], { BTCUSDT: 10 }, { BTCUSDT: 5 });
    ledger.committed([
      { topic: 't', key: 'BTCUSDT', value: Buffer.alloc(0), symbol: 'BTCUSDT', tradeId: 11, tradeTimeUs: 1_000_000 },
      { topic: 't', key: 'BTCUSDT', value: Buffer.alloc(0), symbol: 'BTCUSDT', tradeId: 12, tradeTimeUs: 2_000_000 },
      { topic: 't.dlq', key: 'invalid_json', value: Buffer.from('{}') },
      { topic: 't', key: 'ETHUSDT', value: Buffer.alloc(0), symbol: 'ETHUSDT', tradeId: 7, tradeTimeUs: 3_000_000 },
    ]);
    // A resend of an older id (settled after an uncertain transaction) never moves it back.
    ledger.committed([{ topic: 't', key: 'BTCUSDT', value: Buffer.alloc(0), symbol: 'BTCUSDT', tradeId: 9, tradeTimeUs: 500_000 }]);
    expect(ledger.cursor).toEqual({ BTCUSDT: 12, ETHUSDT: 7 });
    expect(ledger.symbols).toEqual({
      BTCUSDT: { count: 8, lastId: 12, lastTradeTimeUs: 500_000 },
      ETHUSDT: { count: 1, lastId: 7, lastTradeTimeUs: 3_000_000 },
    });
  });

  it('hands out copies: a caller cannot move the cursor', () => {
    const ledger = new CommitLedger(['BTCUSDT'], { BTCUSDT: 1 });
    ledger.cursor.BTCUSDT = 99;
    expect(ledger.cursor).toEqual({ BTCUSDT: 1 });
  });
});

describe('dead letters', () => {
  it('a bad frame keeps its text, cut at 256 KiB, keyed by the reason', () => {
    const big = 'x'.repeat(300 * 1024);
    const { key, body } = badFrame(big, 'invalid_json', 'Unexpected token', Date.UTC(2026, 0, 1));
    expect(key).toBe('invalid_json');
    expect(body).toMatchObject({ reason: 'invalid_json', truncated: true, bytes: big.length, received_at: '2026-01-01T00:00:00.000Z', source: 'binance-ws' });
    expect((body.raw as string).length).toBe(256 * 1024);
  });

  it('an unrecoverable gap names its exact id range, keyed by symbol', () => {
    expect(unrecoverableGap('BTCUSDT', 5, 9, 'older than REST history')).toMatchObject({
      key: 'BTCUSDT',
      body: { reason: 'unrecoverable_gap', detail: 'older than REST history', symbol: 'BTCUSDT', from_id: 5, to_id: 9 },
    });
  });

  it('an id regression names the cursor and the id seen', () => {
    expect(idRegression('BTCUSDT', 5_000_000, 12)).toMatchObject({ key: 'BTCUSDT', body: { reason: 'id_regression', cursor: 5_000_000, seen_id: 12 } });
  });
});

describe('backpressure', () => {
  function over(bufferMaxRecords: number) {
    const socket = Object.assign(new EventEmitter(), {
      state: 'open' as 'open' | 'paused',
      pause: jest.fn(() => void (socket.state = 'paused')),
      resume: jest.fn(() => void (socket.state = 'open')),
      suspend: jest.fn(),
    });
    const load = { sink: 0, pending: 0 };
    const events: string[] = [];
    const bp = new Backpressure({
      socket,
      sinkSize: () => load.sink,
      pending: () => load.pending,
      bufferMaxRecords,
      pauseDisconnectMs: 30_000,
      onPause: () => events.push('pause'),
      onResume: () => events.push('resume'),
    });
    return { bp, socket, load, events };
  }

  it('pauses reading at the bound (sink plus trades held behind a backfill) and resumes at half', () => {
    const { bp, socket, load, events } = over(100);
    load.sink = 60;
    load.pending = 39;
    bp.afterRead();
    expect(socket.pause).not.toHaveBeenCalled();
    load.pending = 40;
    bp.afterRead();
    expect(socket.pause).toHaveBeenCalledTimes(1);
    load.sink = 20;
    bp.afterCommit();
    expect(socket.resume).not.toHaveBeenCalled();
    load.pending = 30;
    bp.afterCommit();
    expect(socket.resume).toHaveBeenCalledTimes(1);
    expect(events).toEqual(['pause', 'resume']);
  });

  it('backfill pages wait until the sink is below half its bound, or the run stopped', async () => {
    const { bp, load } = over(100);
    load.sink = 50;
    let entered = 0;
    const page = () => bp.roomInSink(new AbortController().signal).then(() => entered++);
    void page();
    void page();
    await Promise.resolve();
    expect(entered).toBe(0);
    load.sink = 49;
    bp.afterCommit();
    await new Promise((r) => setImmediate(r));
    expect(entered).toBe(2);
    load.sink = 80;
    bp.release();
    await page();
    expect(entered).toBe(3);
  });

  it('a waiting page gives up when its backfill is cancelled', async () => {
    const { bp, load } = over(100);
    load.sink = 90;
    const cancel = new AbortController();
    const waiting = bp.roomInSink(cancel.signal);
    cancel.abort(new Error('run over'));
    await expect(waiting).rejects.toThrow('run over');
  });
});
