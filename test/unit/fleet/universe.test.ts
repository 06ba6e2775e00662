import { narrowToSymbols, validSymbolList } from '../../../lib/fleet/session-symbols';
import { selectUniverse } from '../../../lib/fleet/universe';
import { splitSymbol } from '../../../lib/binance/symbols';
import { BINANCE_UNIVERSE_SIZE, binanceUniverse } from '../../../simulator/universe';

const spot = { isSpotTradingAllowed: true };
const info = [
  { symbol: 'BTCUSDT', status: 'TRADING', quoteAsset: 'USDT', ...spot },
  { symbol: 'ETHBTC', status: 'TRADING', quoteAsset: 'BTC', ...spot },
  { symbol: 'OLDUSDT', status: 'BREAK', quoteAsset: 'USDT', ...spot },
  { symbol: 'MARGUSDT', status: 'TRADING', quoteAsset: 'USDT', isSpotTradingAllowed: false },
  { symbol: 'SETSUSDT', status: 'TRADING', quoteAsset: 'USDT', permissionSets: [['SPOT', 'MARGIN']] },
];
const tickers = [
  { symbol: 'BTCUSDT', count: 3_024_000 },
  { symbol: 'ETHBTC', count: 8_640 },
];

describe('universe', () => {
  test('every TRADING spot symbol, with its expected rate from the 24 h count', () => {
    expect(selectUniverse(info, tickers, {})).toEqual({
      universe: [
        { symbol: 'BTCUSDT', rate: 35 },
        { symbol: 'ETHBTC', rate: 0.1 },
        { symbol: 'SETSUSDT', rate: 0 },
      ],
      missing: [],
    });
  });

  test('by quote asset, or an explicit list (not trading: named)', () => {
    expect(selectUniverse(info, tickers, { quoteAssets: ['btc'] }).universe.map((u) => u.symbol)).toEqual(['ETHBTC']);
    expect(selectUniverse(info, tickers, { symbols: ['btcusdt', 'OLDUSDT', 'NOPEUSDT'] })).toEqual({ universe: [{ symbol: 'BTCUSDT', rate: 35 }], missing: ['NOPEUSDT', 'OLDUSDT'] });
  });

  test("the simulator's binance universe: ~1,500 distinct symbols over several quote assets, USDT majors first", () => {
    const u = binanceUniverse();
    expect(u.length).toBe(BINANCE_UNIVERSE_SIZE);
    expect(new Set(u).size).toBe(u.length);
    expect(u.slice(0, 4)).toEqual(['BTCUSDT', 'BTCFDUSD', 'BTCUSDC', 'ETHUSDT']);
    const quotes = new Map<string, number>();
    for (const s of u) quotes.set(splitSymbol(s).quote, (quotes.get(splitSymbol(s).quote) ?? 0) + 1);
    expect(quotes.get('USDT')).toBeGreaterThan(500);
    expect([...quotes.keys()].sort()).toEqual(['BNB', 'BRL', 'BTC', 'ETH', 'EUR', 'FDUSD', 'TRY', 'USDC', 'USDT']);
    expect(binanceUniverse(300)).toEqual(binanceUniverse(300));
  });

  test('a session that changes symbols keeps the state of those that stay only', () => {
    const state = { cursor: { A: 1, B: 2 }, totals: { A: 10, B: 20 }, resets: { B: { to: null, from: 5 } } };
    expect(narrowToSymbols(state, ['A', 'C'])).toEqual({ symbols: ['A', 'C'], cursor: { A: 1 }, totals: { A: 10 }, resets: {} });
    expect(validSymbolList(['btcusdt', 'BTCUSDT', 'ETHUSDT'])).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(validSymbolList([])).toBeUndefined();
    expect(validSymbolList('BTCUSDT')).toBeUndefined();
  });
});
