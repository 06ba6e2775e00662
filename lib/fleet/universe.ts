import type { ListedSymbol } from './shard-plan';

/** Which symbols the fleet streams. Unset fields: every TRADING spot symbol. */
export interface UniverseSpec {
  /** Only symbols quoted in these assets (USDT, FDUSD, BTC …). */
  quoteAssets?: string[];
  /** Exactly these symbols (those not TRADING are left out and named in the plan). */
  symbols?: string[];
}

/** The fields of an exchangeInfo symbol the fleet reads. */
export interface ExchangeSymbol {
  symbol: string;
  status: string;
  quoteAsset: string;
  isSpotTradingAllowed?: boolean;
  permissionSets?: string[][];
}

/** The fields of a ticker/24hr row the fleet reads. */
export interface Ticker24h {
  symbol: string;
  count: number;
}

const DAY_SECONDS = 86_400;

function isSpot(s: ExchangeSymbol): boolean {
  return s.isSpotTradingAllowed ?? (s.permissionSets ?? []).some((set) => set.includes('SPOT'));
}

/**
 * The universe as the exchange lists it now: TRADING spot symbols (a delisted or halted symbol
 * is listed with another status), narrowed by the spec, each with its expected trades/s from
 * its last 24 h. `missing`: symbols asked for by name that are not trading.
 */
export function selectUniverse(symbols: ExchangeSymbol[], tickers: Ticker24h[], spec: UniverseSpec): { universe: ListedSymbol[]; missing: string[] } {
  const counts = new Map(tickers.map((t) => [t.symbol, Number(t.count)]));
  const quotes = spec.quoteAssets?.length ? new Set(spec.quoteAssets.map((q) => q.toUpperCase())) : undefined;
  const wanted = spec.symbols?.length ? new Set(spec.symbols.map((s) => s.toUpperCase())) : undefined;
  const universe: ListedSymbol[] = [];
  for (const s of symbols) {
    if (s.status !== 'TRADING' || !isSpot(s)) continue;
    if (quotes && !quotes.has(s.quoteAsset)) continue;
    if (wanted && !wanted.has(s.symbol)) continue;
    const count = counts.get(s.symbol);
    universe.push({ symbol: s.symbol, rate: count !== undefined && Number.isFinite(count) ? count / DAY_SECONDS : 0 });
  }
  const trading = new Set(universe.map((u) => u.symbol));
  const missing = wanted ? [...wanted].filter((s) => !trading.has(s)).sort() : [];
  return { universe, missing };
}
