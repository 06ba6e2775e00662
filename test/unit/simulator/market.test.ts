import { GeneratedAggregate, rateMultiplier, seededRandom, SymbolMarket, symbolSpec } from '../../../simulator/market';
import { binanceMix } from '../../../simulator/profiles';

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

describe('market model over long simulated runs', () => {
  const START_US = 1_700_000_000_000_000;

  /** Runs a market for `seconds` of simulated time in irregular ticks, as a busy event loop gives. */
  function simulate(m: SymbolMarket, seconds: number, maxTickMs: number, acceleration = 1) {
    const tickRandom = seededRandom(99);
    const out: GeneratedAggregate[] = [];
    let expected = 0;
    for (let elapsed = 0; elapsed < seconds * 1000; ) {
      const dt = 1 + Math.floor(tickRandom() * maxTickMs);
      elapsed += dt;
      expected += (m.spec.rate * acceleration * rateMultiplier(m.spec.profile, elapsed) * dt) / 1000;
      m.generate(dt, elapsed, START_US + elapsed * 1000, out, acceleration);
    }
    const ids = out.flatMap((a) => a.qtyUnits.map((_, i) => a.firstId + i));
    return { out, ids, expected };
  }

  const consecutiveFrom = (ids: number[], first: number) => ids.every((id, i) => id === first + i);

  test.each([0.003, 0.05, 0.37, 0.9])('%f trades/s yields its exact count over a simulated day, ids consecutive', (rate) => {
    const m = new SymbolMarket(symbolSpec('ZEKAXUSDT', rate), 5_000, 100_000, seededRandom(3));
    const { ids } = simulate(m, 24 * 3600, 2000);
    // Nothing is lost to rounding: the fraction carries over from tick to tick.
    expect(Math.abs(ids.length - rate * 24 * 3600)).toBeLessThanOrEqual(1);
    expect(consecutiveFrom(ids, 5_000)).toBe(true);
    expect(m.ledger.lastId).toBe(5_000 + ids.length - 1);
  });

  test.each([
    ['a tail symbol', 0.2],
    ['a major', 60],
  ])('bursts keep the ledger and the ground truth exact (%s)', (_, rate) => {
    const profile = binanceMix(['BTCUSDT'], rate, 5)[0].profile;
    const m = new SymbolMarket(symbolSpec('BTCUSDT', rate, profile), 1, 1_000_000, seededRandom(4));
    const { out, ids, expected } = simulate(m, 1800, 100);
    expect(Math.abs(ids.length - expected)).toBeLessThanOrEqual(1);
    expect(consecutiveFrom(ids, 1)).toBe(true);
    // Every 90 s range by trade time: the ledger names exactly the ids generated in it.
    for (let from = 0; from < 1800; from += 90) {
      const fromUs = START_US + from * 1e6;
      const toUs = fromUs + 90e6 - 1;
      const inRange = out.filter((a) => a.timeUs >= fromUs && a.timeUs <= toUs);
      const truth = m.ledger.idsBetween(fromUs, toUs);
      if (inRange.length === 0) expect(truth).toBeUndefined();
      else expect(truth).toEqual({ firstId: inRange[0].firstId, lastId: inRange[inRange.length - 1].lastId });
    }
  });

  test('acceleration multiplies the count and keeps ids consecutive', () => {
    const run = (acceleration: number) =>
      simulate(new SymbolMarket(symbolSpec('ETHUSDT', 0.5), 1, 100_000, seededRandom(6)), 3600, 50, acceleration).ids;
    const once = run(1);
    const tenfold = run(10);
    expect(Math.abs(once.length - 1800)).toBeLessThanOrEqual(1);
    expect(Math.abs(tenfold.length - 18_000)).toBeLessThanOrEqual(1);
    expect(consecutiveFrom(tenfold, 1)).toBe(true);
  });
});
