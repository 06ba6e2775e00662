import { BurstSpec } from './bursts';
import { mixSeed, seededRandom } from './random';

// Per-symbol mean rates follow a Zipf–Mandelbrot law, weight (rank + OFFSET)^-EXPONENT: the
// offset keeps the head to tens of trades/s (BTCUSDT ~35/s in 2026, reference/binance.md §8)
// instead of one symbol carrying everything; the exponent sends the tail well below 1/s.
// With 100 symbols: top 5 ~60 % of the flow, median ~0.5/s, ~60 symbols below 1/s.
const OFFSET = 2;
const EXPONENT = 1.8;
/** Spread around the law (log-normal sigma), so neighbouring ranks differ as real pairs do. */
const JITTER = 0.3;
/** The soak target: 400 trades/s over 100 symbols; other counts scale as the law's sum does. */
const REFERENCE = { symbols: 100, totalRate: 400 };

function lawWeight(rank: number): number {
  return Math.pow(rank + 1 + OFFSET, -EXPONENT);
}

function lawSum(count: number): number {
  let sum = 0;
  for (let rank = 0; rank < count; rank++) sum += lawWeight(rank);
  return sum;
}

/**
 * The default total for `count` symbols: 400/s for 100, and what the same market's first
 * `count` symbols trade otherwise (a longer tail adds little, as on Binance).
 */
export function defaultBinanceRate(count: number): number {
  return (REFERENCE.totalRate * lawSum(count)) / lawSum(REFERENCE.symbols);
}

export interface SymbolRate {
  symbol: string;
  /** Mean trades per second. */
  rate: number;
  profile: BurstSpec;
}

/**
 * A realistic market over `symbols`, busiest first in the order given: mean rates that sum to
 * `totalRate`, skewed like Binance's, each with seeded bursts of its own and of the market.
 * Pure: the same arguments give the same mix.
 */
export function binanceMix(symbols: string[], totalRate = defaultBinanceRate(symbols.length), seed = 42): SymbolRate[] {
  if (!(totalRate >= 0) || !Number.isFinite(totalRate)) throw new Error(`total rate must be a number >= 0, got ${totalRate}`);
  const random = seededRandom(mixSeed(seed, 0));
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  // Sorted after the jitter, so the first symbol given stays the busiest.
  const weights = symbols.map((_, rank) => lawWeight(rank) * Math.exp(JITTER * gaussian())).sort((a, b) => b - a);
  const sum = weights.reduce((a, b) => a + b, 0);
  const marketSeed = mixSeed(seed, 1);
  return symbols.map((symbol, rank) => ({
    symbol,
    rate: (totalRate * weights[rank]) / sum,
    profile: { kind: 'bursts', seed: mixSeed(seed, rank + 2), marketSeed },
  }));
}
