import { mixSeed, seededRandom } from './random';

/**
 * Seeded random bursts: the symbol's own, and the market's, which every symbol with the same
 * `marketSeed` shares (BTC moves and the whole market trades at once). Binance publishes no
 * peak figures; these give peaks of several times the mean for a few seconds.
 */
export interface BurstSpec {
  kind: 'bursts';
  seed: number;
  marketSeed: number;
}

interface BurstShape {
  /** At most one burst per window, so the schedule is a pure function of time. */
  windowMs: number;
  chance: number;
  minMs: number;
  maxMs: number;
  minFactor: number;
  maxFactor: number;
}

const SYMBOL_BURSTS: BurstShape = { windowMs: 60_000, chance: 0.3, minMs: 2_000, maxMs: 6_000, minFactor: 3, maxFactor: 8 };
const MARKET_BURSTS: BurstShape = { windowMs: 300_000, chance: 0.5, minMs: 3_000, maxMs: 10_000, minFactor: 2, maxFactor: 5 };

interface WindowBurst {
  window: number;
  happens: boolean;
  startMs: number;
  durationMs: number;
  factor: number;
}

// The burst of each (shape, seed) in its current window: every symbol asks every tick (1,500
// symbols × 100 ticks/s), and drawing it afresh each time cost the simulator half a core.
const current = new Map<BurstShape, Map<number, WindowBurst>>();

function windowBurst(shape: BurstShape, seed: number, window: number): WindowBurst {
  let bySeed = current.get(shape);
  if (!bySeed) current.set(shape, (bySeed = new Map()));
  const cached = bySeed.get(seed);
  if (cached?.window === window) return cached;
  const random = seededRandom(mixSeed(seed, window));
  // Always the same draws in the same order, so a window's burst depends on the seed alone.
  const happens = random() < shape.chance;
  const durationMs = shape.minMs + random() * (shape.maxMs - shape.minMs);
  const startMs = random() * (shape.windowMs - durationMs);
  const factor = shape.minFactor + random() * (shape.maxFactor - shape.minFactor);
  const burst = { window, happens, startMs, durationMs, factor };
  bySeed.set(seed, burst);
  return burst;
}

function factorAt(shape: BurstShape, seed: number, elapsedMs: number): number {
  const window = Math.floor(elapsedMs / shape.windowMs);
  const b = windowBurst(shape, seed, window);
  const offsetMs = elapsedMs - window * shape.windowMs;
  return b.happens && offsetMs >= b.startMs && offsetMs < b.startMs + b.durationMs ? b.factor : 1;
}

function meanFactor(s: BurstShape): number {
  const meanMs = (s.minMs + s.maxMs) / 2;
  const meanFactor = (s.minFactor + s.maxFactor) / 2;
  return 1 + (s.chance * meanMs * (meanFactor - 1)) / s.windowMs;
}

// Between bursts the rate sits a little below the mean, so the long-run mean stays the symbol's
// rate (the two schedules are independent, so their means multiply).
const BASELINE = 1 / (meanFactor(SYMBOL_BURSTS) * meanFactor(MARKET_BURSTS));

export function burstMultiplier(spec: BurstSpec, elapsedMs: number): number {
  return BASELINE * factorAt(SYMBOL_BURSTS, spec.seed, elapsedMs) * factorAt(MARKET_BURSTS, spec.marketSeed, elapsedMs);
}
