import { checkShardSize, ListedSymbol, planShards, shardChanges } from '../../../lib/fleet/shard-plan';
import { binanceMix } from '../../../simulator/profiles';
import { binanceUniverse } from '../../../simulator/universe';

const universe = (count: number): ListedSymbol[] => binanceMix(binanceUniverse(count)).map(({ symbol, rate }) => ({ symbol, rate }));
const opts = { shardSize: 200, prefix: 'binance-stream' };
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('shard plan', () => {
  test('the binance universe in shards of 200: every symbol once, no shard over the size, rates balanced', () => {
    const u = universe(1500);
    const { shards, added, removed, emptied } = planShards([], u, opts);
    expect(shards.map((s) => s.workflowId)).toEqual(Array.from({ length: 8 }, (_, i) => `binance-stream-${i + 1}`));
    expect(shards.flatMap((s) => s.symbols).sort()).toEqual(u.map((x) => x.symbol).sort());
    expect(Math.max(...shards.map((s) => s.symbols.length))).toBeLessThanOrEqual(200);
    expect({ added: added.length, removed, emptied }).toEqual({ added: 1500, removed: [], emptied: [] });
    // No split's busiest shard can be below the busiest symbol or the mean: LPT comes within 5 %.
    const rates = shards.map((s) => s.expectedRate);
    expect(sum(rates)).toBeCloseTo(sum(u.map((x) => x.rate)), 6);
    const bound = Math.max(u[0].rate, sum(rates) / shards.length);
    expect(Math.max(...rates)).toBeLessThan(bound * 1.05);
  });

  test('a listing joins the least busy shard with room, a delisting leaves; symbols that stay never move', () => {
    const u = universe(300);
    const before = planShards([], u, { ...opts, shardSize: 100 }).shards;
    const delisted = before[1].symbols[0];
    const next = [...u.filter((x) => x.symbol !== delisted), { symbol: 'NEWCOINUSDT', rate: 0.5 }];
    const plan = planShards(before, next, { ...opts, shardSize: 100 });
    expect(plan.added).toEqual(['NEWCOINUSDT']);
    expect(plan.removed).toEqual([delisted]);
    const home = plan.shards.find((s) => s.symbols.includes('NEWCOINUSDT'))!;
    expect(home.index).toBe(2);
    for (const s of before) for (const sym of s.symbols.filter((x) => x !== delisted)) expect(plan.shards.find((p) => p.symbols.includes(sym))!.index).toBe(s.index);
    expect(shardChanges(before, plan.shards)).toEqual({ start: [], update: [plan.shards[1]] });
  });

  test('more symbols than the shards hold: new shards, started; a returning symbol goes back where it streamed', () => {
    const u = universe(20);
    const before = planShards([], u, { ...opts, shardSize: 10 }).shards;
    const more = [...u, ...['AAAUSDT', 'BBBUSDT'].map((symbol) => ({ symbol, rate: 1 }))];
    const plan = planShards(before, more, { ...opts, shardSize: 10 });
    expect(plan.shards.map((s) => s.index)).toEqual([1, 2, 3]);
    expect(shardChanges(before, plan.shards).start.map((s) => s.index)).toEqual([3]);
    const back = planShards(plan.shards, more, { ...opts, shardSize: 10, formerShard: {} });
    expect(back.added).toEqual([]);
    const left = before[0].symbols[5];
    const without = planShards(before, u.filter((x) => x.symbol !== left), { ...opts, shardSize: 10 });
    const returned = planShards(without.shards, u, { ...opts, shardSize: 10, formerShard: { [left]: 1 } });
    expect(returned.shards[0].symbols).toContain(left);
  });

  test('a shard whose every symbol was delisted is emptied (its session stops)', () => {
    const before = [{ index: 1, workflowId: 'p-1', symbols: ['AUSDT'], expectedRate: 1 }, { index: 2, workflowId: 'p-2', symbols: ['BUSDT'], expectedRate: 1 }];
    const plan = planShards(before, [{ symbol: 'BUSDT', rate: 1 }], { shardSize: 1, prefix: 'p' });
    expect(plan.shards.map((s) => s.index)).toEqual([2]);
    expect(plan.emptied.map((s) => s.index)).toEqual([1]);
    // A later new shard does not take a stopped shard's index (its session may still be draining).
    const more = planShards([{ index: 1, workflowId: 'p-1', symbols: ['AUSDT'], expectedRate: 1 }], [{ symbol: 'AUSDT', rate: 1 }, { symbol: 'BUSDT', rate: 1 }], { shardSize: 1, prefix: 'p', highestIndex: 2 });
    expect(more.shards.map((s) => s.workflowId)).toEqual(['p-1', 'p-3']);
  });

  test('shard size is 1 to 1,024 (streams per connection)', () => {
    expect(checkShardSize(1024)).toBe(1024);
    expect(() => checkShardSize(1025)).toThrow(/1 to 1024/);
    expect(() => checkShardSize(0)).toThrow();
  });
});
