import { Backoff } from '../../../lib/binance/backoff';

describe('backoff', () => {
  test('doubles up to the cap, with jitter in [cap/2, cap], and never gives up', () => {
    const low = new Backoff(100, 1_000, () => 0);
    const high = new Backoff(100, 1_000, () => 1);
    const lows = Array.from({ length: 8 }, () => low.next());
    const highs = Array.from({ length: 8 }, () => high.next());
    expect(highs).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
    expect(lows).toEqual([50, 100, 200, 400, 500, 500, 500, 500]);
    for (let i = 0; i < 1_000; i++) low.next();
    expect(low.next()).toBe(500);
  });

  test('reset starts over', () => {
    const b = new Backoff(100, 1_000, () => 1);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(100);
    expect(b.attempts).toBe(1);
  });
});
