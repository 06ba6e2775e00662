import { leakScore, MemorySample, MIN_SAMPLES } from '../../../lib/memory/leak-score';
import { seededRandom } from '../../../simulator/market';

const MB = 1024 * 1024;
/** `n` samples 30 s apart, RSS from `f(hours)` in MB. */
const series = (n: number, f: (h: number, i: number) => number): MemorySample[] =>
  Array.from({ length: n }, (_, i) => ({ at: i * 30_000, rssBytes: f((i * 30) / 3600, i) * MB }));

describe('leak score', () => {
  test('flat memory scores 0', () => {
    expect(leakScore(series(120, () => 200)).score).toBe(0);
  });

  test('steady growth at 50 MB/h or more scores ~1; at 25 MB/h ~0.5', () => {
    const fast = leakScore(series(120, (h) => 200 + 100 * h));
    expect(fast.slopeMbPerHour).toBeCloseTo(100, 6);
    expect(fast.r2).toBeCloseTo(1, 9);
    expect(fast.score).toBeCloseTo(1, 9);
    expect(leakScore(series(120, (h) => 200 + 25 * h)).score).toBeCloseTo(0.5, 6);
  });

  test('noisy growth scores lower than clean growth, by its R^2', () => {
    const rnd = seededRandom(3);
    const noisy = leakScore(series(120, (h) => 200 + 60 * h + (rnd() - 0.5) * 120));
    expect(noisy.slopeMbPerHour).toBeGreaterThan(40);
    expect(noisy.r2).toBeLessThan(0.9);
    expect(noisy.score).toBeCloseTo(Math.min(1, noisy.slopeMbPerHour / 50) * noisy.r2, 9);
    expect(noisy.score).toBeLessThan(0.9);
  });

  test('a GC sawtooth around a flat level is not a leak', () => {
    const saw = leakScore(series(120, (_h, i) => 200 + (i % 10) * 5));
    expect(saw.score).toBeLessThan(0.1);
  });

  test('shrinking memory scores 0', () => {
    expect(leakScore(series(120, (h) => 400 - 80 * h)).score).toBe(0);
  });

  test('too few samples say nothing', () => {
    expect(leakScore(series(MIN_SAMPLES - 1, (h) => 200 + 500 * h)).score).toBe(0);
    expect(leakScore(series(MIN_SAMPLES, (h) => 200 + 500 * h)).score).toBeCloseTo(1, 9);
  });
});
