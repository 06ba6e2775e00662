import { binanceSymbols } from '../../../simulator/binance-symbols';
import { binanceMix, defaultBinanceRate } from '../../../simulator/profiles';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
};

describe('binance traffic mix', () => {
  const symbols = binanceSymbols(100);

  test('the per-symbol rates add up to the total', () => {
    expect(sum(binanceMix(symbols, 400).map((m) => m.rate))).toBeCloseTo(400, 9);
    expect(sum(binanceMix(symbols.slice(0, 37), 123.4, 9).map((m) => m.rate))).toBeCloseTo(123.4, 9);
    expect(sum(binanceMix(symbols).map((m) => m.rate))).toBeCloseTo(400, 9);
    expect(defaultBinanceRate(100)).toBeCloseTo(400, 9);
    // A longer tail adds little, as on Binance; fewer symbols trade less.
    expect(defaultBinanceRate(1000)).toBeLessThan(450);
    expect(defaultBinanceRate(10)).toBeLessThan(400);
  });

  test.each([42, 1, 2, 3, 4, 5])('skewed like Binance (seed %i): a busy head, a long tail below 1/s', (seed) => {
    const rates = binanceMix(symbols, 400, seed).map((m) => m.rate);
    expect(sum(rates.slice(0, 5)) / 400).toBeGreaterThan(0.5);
    expect(rates[0]).toBeGreaterThan(30);
    expect(rates[0]).toBeLessThan(150);
    expect(median(rates)).toBeLessThan(1);
    expect(rates.filter((r) => r < 1).length).toBeGreaterThanOrEqual(50);
    expect(Math.min(...rates)).toBeLessThan(0.3);
    // The first symbol given (BTCUSDT) is the busiest, and so on down the list.
    expect(rates).toEqual([...rates].sort((a, b) => b - a));
  });

  test('deterministic by seed', () => {
    expect(binanceMix(symbols, 400, 7)).toEqual(binanceMix(symbols, 400, 7));
    const a = binanceMix(symbols, 400, 7);
    const b = binanceMix(symbols, 400, 8);
    expect(a.map((m) => m.rate)).not.toEqual(b.map((m) => m.rate));
    expect(a[0].profile.seed).not.toBe(b[0].profile.seed);
  });

  test('every symbol bursts on its own schedule and shares the market one', () => {
    const mix = binanceMix(symbols, 400, 3);
    expect(new Set(mix.map((m) => m.profile.seed)).size).toBe(mix.length);
    expect(new Set(mix.map((m) => m.profile.marketSeed)).size).toBe(1);
    expect(mix.every((m) => m.profile.kind === 'bursts')).toBe(true);
  });

  test('refuses a negative or non-finite total', () => {
    expect(() => binanceMix(symbols, -1)).toThrow(/total rate/);
    expect(() => binanceMix(symbols, Infinity)).toThrow(/total rate/);
  });
});
