import { isKnownSymbol, splitSymbol } from '../../../lib/binance/symbols';

test.each([
  ['BTCUSDT', 'BTC', 'USDT'],
  ['ethbtc', 'ETH', 'BTC'],
  ['BNBFDUSD', 'BNB', 'FDUSD'],
  ['SOLUSDC', 'SOL', 'USDC'],
  ['BTCTRY', 'BTC', 'TRY'],
])('%s is %s/%s', (symbol, base, quote) => {
  expect(splitSymbol(symbol)).toEqual({ base, quote });
});

test('a symbol without a known quote asset is refused', () => {
  expect(() => splitSymbol('FOOBAR')).toThrow(/unknown quote asset/);
  expect(() => splitSymbol('USDT')).toThrow();
  expect(isKnownSymbol('BTCUSDT')).toBe(true);
  expect(isKnownSymbol('BTC-USDT')).toBe(false);
});
