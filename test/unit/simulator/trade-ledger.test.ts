import { SymbolLedger } from '../../../simulator/trade-ledger';

function fill(ledger: SymbolLedger, aggregates: number, startUs = 1_000_000_000) {
  for (let i = 0; i < aggregates; i++) ledger.appendAggregate(100 + i, [1, 2], startUs + i * 500_000, i % 2 === 0);
}

describe('trade ledger', () => {
  test('ids are consecutive from the first id and aggregates record their trade range', () => {
    const l = new SymbolLedger('BTCUSDT', 1000, 50, 100);
    const a = l.appendAggregate(5, [1, 2, 3], 10, true);
    const b = l.appendAggregate(6, [4], 11, false);
    expect(a).toEqual({ aggId: 50, firstId: 1000, lastId: 1002 });
    expect(b).toEqual({ aggId: 51, firstId: 1003, lastId: 1003 });
    expect(l.lastId).toBe(1003);
    expect(l.get(1001)).toEqual({ id: 1001, priceUnits: 5, qtyUnits: 2, timeUs: 10, buyerMaker: true, aggId: 50 });
    expect(l.getAggregate(50)).toMatchObject({ firstId: 1000, lastId: 1002, qtyUnits: 6 });
  });

  test('retention is bounded: old ids are gone and ranges start at the oldest kept', () => {
    const l = new SymbolLedger('BTCUSDT', 1, 1, 10);
    fill(l, 20); // 40 trades
    expect(l.lastId).toBe(40);
    expect(l.oldestRetainedId).toBe(31);
    expect(l.get(30)).toBeUndefined();
    expect(l.range(5, 3).map((t) => t.id)).toEqual([31, 32, 33]);
    expect(l.range(39, 10).map((t) => t.id)).toEqual([39, 40]);
    expect(l.range(41, 10)).toEqual([]);
  });

  test('ground truth by time is exact inside the retention and per second outside it', () => {
    const l = new SymbolLedger('BTCUSDT', 1, 1, 8);
    fill(l, 20, 10_000_000); // aggregate i at 10 s + i*0.5 s, trades 2i+1, 2i+2
    // Inside the retention (last 8 trades = aggregates 16..19, times 18.0 s .. 19.5 s).
    expect(l.idsBetween(18_500_000, 19_000_000)).toEqual({ firstId: 35, lastId: 38 });
    // Outside it, resolved to whole seconds: 12 s .. 13 s holds aggregates 4..7.
    expect(l.idsBetween(12_000_000, 13_999_999)).toEqual({ firstId: 9, lastId: 16 });
    expect(l.idsBetween(100_000_000, 200_000_000)).toBeUndefined();
  });

  test('indexes seconds only for trades that left the ring', () => {
    const l = new SymbolLedger('BTCUSDT', 1, 1, 100);
    fill(l, 50, 10_000_000); // 100 trades at 10 s .. 34.5 s: all still in the ring
    expect(l.indexedSeconds).toBe(0);
    expect(l.idsBetween(10_000_000, 12_999_999)).toEqual({ firstId: 1, lastId: 12 });
    fill(l, 50, 40_000_000); // 100 more, at 40 s .. 64.5 s: the first 100 are dropped
    expect(l.indexedSeconds).toBe(25);
    expect(l.oldestRetainedId).toBe(101);
    expect(l.idsBetween(10_000_000, 12_999_999)).toEqual({ firstId: 1, lastId: 12 });
    expect(l.idsBetween(30_000_000, 40_999_999)).toEqual({ firstId: 81, lastId: 104 });
  });
});
