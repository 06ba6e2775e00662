import { isKnownSymbol, splitSymbol } from '../../../lib/binance/symbols';
import { binanceSymbols } from '../../../simulator/binance-symbols';
import { symbolSpec } from '../../../simulator/market';
import { STREAM_NAME } from '../../../simulator/ws-connection';

describe('binance-like symbol universe', () => {
  test('the majors come first', () => {
    expect(binanceSymbols(5)).toEqual(['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT']);
    expect(binanceSymbols(100).slice(0, 10)).toEqual(binanceSymbols(10));
  });

  test('a thousand distinct USDT pairs that the parser, the market and the stream names accept', () => {
    const symbols = binanceSymbols(1000);
    expect(new Set(symbols).size).toBe(1000);
    for (const s of symbols) {
      expect(isKnownSymbol(s)).toBe(true);
      expect(splitSymbol(s)).toEqual({ base: s.slice(0, -4), quote: 'USDT' });
      expect(symbolSpec(s, 1).symbol).toBe(s);
      expect(STREAM_NAME.test(`${s.toLowerCase()}@trade`)).toBe(true);
    }
  });

  test('refuses a count that is not a positive integer', () => {
    expect(() => binanceSymbols(0)).toThrow(/count/);
    expect(() => binanceSymbols(2.5)).toThrow(/count/);
  });
});
