import { splitSymbol } from '../lib/binance/symbols';
import { BurstSpec, burstMultiplier } from './bursts';
import { LedgerAggTrade, SymbolLedger } from './trade-ledger';

// Re-exported: soak chaos and other modules' tests import the generator from here.
export { seededRandom } from './random';

/** The profiles a user names: steady, bursts of 5x, or quiet spells with no trades. */
export type NamedProfile = 'steady' | 'bursty' | 'quiet';

/** How a symbol's trade rate varies over time, around its mean `rate`. */
export type RateProfile = NamedProfile | BurstSpec;

export interface SymbolSpec {
  symbol: string;
  base: string;
  quote: string;
  /** Price and quantity are integers in units of 1e-8, so they format exactly. */
  tickUnits: number;
  lotUnits: number;
  startPriceUnits: number;
  rate: number;
  profile: RateProfile;
}

const UNITS = 1e8;

// Tick and lot sizes as Binance lists them for the majors; anything else gets a small-cap shape.
const KNOWN: Record<string, { price: number; tick: number; lot: number }> = {
  BTCUSDT: { price: 95_000, tick: 0.01, lot: 0.00001 },
  ETHUSDT: { price: 3_500, tick: 0.01, lot: 0.0001 },
  BNBUSDT: { price: 650, tick: 0.01, lot: 0.001 },
  SOLUSDT: { price: 180, tick: 0.01, lot: 0.001 },
  XRPUSDT: { price: 2.2, tick: 0.0001, lot: 0.1 },
  ETHBTC: { price: 0.036, tick: 0.00001, lot: 0.0001 },
};

export function symbolSpec(symbol: string, rate: number, profile: RateProfile = 'steady'): SymbolSpec {
  const upper = symbol.toUpperCase();
  const { base, quote } = splitSymbol(upper);
  const known = KNOWN[upper] ?? { price: 1.5, tick: 0.0001, lot: 0.1 };
  const tickUnits = Math.round(known.tick * UNITS);
  return {
    symbol: upper,
    base,
    quote,
    tickUnits,
    lotUnits: Math.round(known.lot * UNITS),
    startPriceUnits: Math.round((known.price * UNITS) / tickUnits) * tickUnits,
    rate,
    profile,
  };
}

export function rateMultiplier(profile: RateProfile, elapsedMs: number): number {
  if (typeof profile === 'object') return burstMultiplier(profile, elapsedMs);
  switch (profile) {
    case 'steady':
      return 1;
    case 'bursty':
      // 2 s at 5x in every 15 s, 0.6x otherwise: about the same mean rate.
      return elapsedMs % 15_000 < 2_000 ? 5 : 0.6;
    case 'quiet':
      // 10 s of silence in every 30 s: the data watchdog's worst case.
      return elapsedMs % 30_000 < 10_000 ? 0 : 1.5;
  }
}

export interface GeneratedAggregate extends LedgerAggTrade {
  symbol: string;
  priceUnits: number;
  qtyUnits: number[];
  timeUs: number;
  buyerMaker: boolean;
}

/** One symbol's order flow: a random walk in ticks, orders filled by 1–3 trades. */
export class SymbolMarket {
  private priceUnits: number;
  private carry = 0;
  readonly ledger: SymbolLedger;
  /** As exchangeInfo says it: a delisted symbol is BREAK, trades no more, and keeps its history. */
  status: 'TRADING' | 'BREAK' = 'TRADING';

  constructor(
    readonly spec: SymbolSpec,
    firstId: number,
    retention: number,
    private readonly random: () => number,
  ) {
    this.priceUnits = spec.startPriceUnits;
    this.ledger = new SymbolLedger(spec.symbol, firstId, firstId, retention);
  }

  /** One trade now, whatever the rate (a market's history before the simulator started). */
  generateOne(nowUs: number): void {
    this.ledger.appendAggregate(this.priceUnits, [this.spec.lotUnits], nowUs, false);
  }

  /**
   * Generates the trades due in `dtMs` at the current rate times `acceleration`; all get trade
   * time `nowUs`. The fraction left over carries to the next call, so a rate far below one
   * trade per tick (or per second) still yields its exact count over time.
   */
  generate(dtMs: number, elapsedMs: number, nowUs: number, out: GeneratedAggregate[], acceleration = 1): void {
    if (this.status !== 'TRADING') return;
    this.carry += (this.spec.rate * acceleration * rateMultiplier(this.spec.profile, elapsedMs) * dtMs) / 1000;
    let due = Math.floor(this.carry);
    this.carry -= due;
    while (due > 0) {
      const count = Math.min(due, 1 + Math.floor(this.random() * 3));
      due -= count;
      const step = this.random();
      if (step < 0.2) this.priceUnits -= this.spec.tickUnits;
      else if (step > 0.8) this.priceUnits += this.spec.tickUnits;
      if (this.priceUnits < this.spec.tickUnits) this.priceUnits = this.spec.tickUnits;
      const qtyUnits: number[] = [];
      for (let i = 0; i < count; i++) qtyUnits.push(this.spec.lotUnits * (1 + Math.floor(this.random() * 200)));
      const buyerMaker = this.random() < 0.5;
      const agg = this.ledger.appendAggregate(this.priceUnits, qtyUnits, nowUs, buyerMaker);
      out.push({ ...agg, symbol: this.spec.symbol, priceUnits: this.priceUnits, qtyUnits, timeUs: nowUs, buyerMaker });
    }
  }
}

/**
 * The first trade id of a symbol. 'hash': stable per symbol, large like Binance's (tests).
 * 'time': grows with the clock (100 ids per ms), so a restarted simulator never reuses an id
 * an earlier run sent, as a real exchange never would (demos and soak runs that resume).
 */
export function firstIdFor(symbol: string, mode: 'hash' | 'time' = 'hash', now = Date.now()): number {
  let h = 0;
  for (const c of symbol) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return mode === 'time' ? now * 100 : 100_000_000 + (h % 900_000_000);
}
