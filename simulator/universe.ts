import { splitSymbol } from '../lib/binance/symbols';
import { binanceSymbols } from './binance-symbols';

// A whole spot market shaped like Binance's (~1,500 TRADING symbols in 2026): USDT pairs are the
// largest group and the busiest, then USDC, BTC, TRY, FDUSD … pairs of the same bases, so a
// universe filtered by quote asset has something to filter. Shares are rounded from the
// exchange's listing; rank factors put a base's USDT pair ahead of its other pairs.
const QUOTES: { quote: string; share: number; rankFactor: number }[] = [
  { quote: 'USDT', share: 0.4, rankFactor: 1 },
  { quote: 'FDUSD', share: 0.08, rankFactor: 1.5 },
  { quote: 'USDC', share: 0.12, rankFactor: 2 },
  { quote: 'BTC', share: 0.15, rankFactor: 3 },
  { quote: 'TRY', share: 0.1, rankFactor: 4 },
  { quote: 'ETH', share: 0.04, rankFactor: 5 },
  { quote: 'BNB', share: 0.05, rankFactor: 6 },
  { quote: 'EUR', share: 0.04, rankFactor: 8 },
  { quote: 'BRL', share: 0.02, rankFactor: 10 },
];

export const BINANCE_UNIVERSE_SIZE = 1_500;

/**
 * `count` spot symbols over several quote assets, busiest first (the order binanceMix gives
 * rates in). Pure: the same count gives the same symbols.
 */
export function binanceUniverse(count = BINANCE_UNIVERSE_SIZE): string[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`universe size must be an integer >= 1, got ${count}`);
  const bases = binanceSymbols(Math.ceil(count * QUOTES[0].share) + 50).map((s) => s.slice(0, -'USDT'.length));
  const ranked: { symbol: string; rank: number }[] = [];
  for (const { quote, share, rankFactor } of QUOTES) {
    const wanted = Math.ceil(count * share);
    for (let i = 0, n = 0; i < bases.length && n < wanted; i++) {
      const symbol = `${bases[i]}${quote}`;
      // BTCBTC is no pair, and a base ending in A before EUR would read as the AEUR quote.
      if (bases[i] === quote || splitSymbol(symbol).quote !== quote) continue;
      ranked.push({ symbol, rank: (i + 1) * rankFactor });
      n++;
    }
  }
  ranked.sort((a, b) => a.rank - b.rank || (a.symbol < b.symbol ? -1 : 1));
  return ranked.slice(0, count).map((r) => r.symbol);
}
