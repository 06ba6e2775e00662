import { GeneratedAggregate, rateMultiplier, seededRandom, SymbolMarket, symbolSpec } from '../../../simulator/market';

describe('market model', () => {
  test('generates the configured rate with consecutive ids, on tick and lot sizes', () => {
    const spec = symbolSpec('BTCUSDT', 200);
    const m = new SymbolMarket(spec, 1_000, 10_000, seededRandom(1));
    const out: GeneratedAggregate[] = [];
    for (let t = 0; t < 100; t++) m.generate(10, t * 10, t * 10_000, out); // 1 s in 10 ms ticks
    const ids = out.flatMap((a) => a.qtyUnits.map((_, i) => a.firstId + i));
    expect(ids.length).toBeGreaterThanOrEqual(199);
    expect(ids.length).toBeLessThanOrEqual(200);
    expect(ids).toEqual(ids.map((_, i) => 1_000 + i));
    for (const a of out) {
      expect(a.priceUnits % spec.tickUnits).toBe(0);
      for (const q of a.qtyUnits) expect(q % spec.lotUnits).toBe(0);
      expect(a.qtyUnits.length).toBeGreaterThanOrEqual(1);
      expect(a.qtyUnits.length).toBeLessThanOrEqual(3);
    }
  });

  test('profiles: steady is flat, bursty bursts, quiet has silent spells', () => {
    expect(rateMultiplier('steady', 12_345)).toBe(1);
    expect(rateMultiplier('bursty', 1_000)).toBe(5);
    expect(rateMultiplier('bursty', 5_000)).toBeLessThan(1);
    expect(rateMultiplier('quiet', 5_000)).toBe(0);
    expect(rateMultiplier('quiet', 15_000)).toBeGreaterThan(1);
  });

  test('the same seed gives the same market', () => {
    const run = () => {
      const m = new SymbolMarket(symbolSpec('ETHUSDT', 100), 1, 1000, seededRandom(7));
      const out: GeneratedAggregate[] = [];
      for (let t = 0; t < 20; t++) m.generate(10, t * 10, t, out);
      return out.map((a) => [a.priceUnits, ...a.qtyUnits]);
    };
    expect(run()).toEqual(run());
  });
});
