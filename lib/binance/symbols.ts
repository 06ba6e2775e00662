// Quote assets Binance spot lists, longest first so FDUSD wins over USD-like suffixes.
const QUOTE_ASSETS = [
  'FDUSD', 'USDT', 'USDC', 'TUSD', 'BUSD', 'USDP', 'DAI', 'AEUR', 'EURI',
  'BTC', 'ETH', 'BNB', 'XRP', 'TRX', 'DOGE', 'SOL',
  'EUR', 'GBP', 'TRY', 'BRL', 'JPY', 'ARS', 'MXN', 'PLN', 'RON', 'ZAR', 'UAH', 'IDR', 'COP', 'CZK',
].sort((a, b) => b.length - a.length);

export interface SymbolAssets {
  base: string;
  quote: string;
}

/**
 * Splits a spot symbol into base and quote asset by its suffix. Binance's exchangeInfo is the
 * authority; this covers the quote assets it lists so a stream needs no REST call to start.
 */
export function splitSymbol(symbol: string): SymbolAssets {
  const s = symbol.toUpperCase();
  for (const quote of QUOTE_ASSETS) {
    if (s.length > quote.length && s.endsWith(quote)) return { base: s.slice(0, -quote.length), quote };
  }
  throw new Error(`unknown quote asset in symbol ${symbol}`);
}

export function isKnownSymbol(symbol: string): boolean {
  try {
    splitSymbol(symbol);
    return /^[A-Z0-9]{2,20}$/.test(symbol.toUpperCase());
  } catch {
    return false;
  }
}
