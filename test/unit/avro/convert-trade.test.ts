import { messageId, toTradeV2 } from '../../../lib/avro/convert-trade';
import { decodeTradeV2, singleObjectSerializer } from '../../../lib/avro/serializer';
import { tradeV2SchemaText } from '../../../lib/avro/trade-v2-schema';
import { BinanceTrade } from '../../../lib/binance/trade-frame';

const trade = (over: Partial<BinanceTrade> = {}): BinanceTrade => ({
  eventType: 'trade',
  eventTime: 1_795_790_547_492_123,
  symbol: 'BTCUSDT',
  tradeId: 115_039_597,
  price: '94999.99000000',
  quantity: '0.00097000',
  tradeTime: 1_795_790_547_491_456,
  buyerIsMaker: true,
  isBestMatch: true,
  ...over,
});

describe('TradeV2 conversion', () => {
  test('fields as ARCHITECTURE.md fixes them', () => {
    const r = toTradeV2(trade(), 1_795_790_547_500_000);
    expect(r).toMatchObject({
      trade_id: 'BINANCE-115039597',
      symbol: 'BTCUSDT',
      exchange: 'BINANCE',
      asset_class: 'crypto',
      timestamp: 1_795_790_547_491_456,
      price: '94999.99000000',
      quantity: '0.00097000',
      currency: 'USDT',
      side: 'SELL',
      trade_conditions: [],
      source_sequence: 115_039_597,
      ingestion_timestamp: 1_795_790_547_500_000,
      platform_sequence: null,
    });
    expect(r.vendor_data).toEqual({
      is_buyer_maker: 'true',
      event_type: 'trade',
      event_time: '1795790547492123',
      trade_time: '1795790547491456',
      base_asset: 'BTC',
      quote_asset: 'USDT',
      is_best_match: 'true',
    });
    expect(toTradeV2(trade({ buyerIsMaker: false }), 0).side).toBe('BUY');
    expect(toTradeV2(trade({ symbol: 'ETHBTC' }), 0).currency).toBe('BTC');
  });

  test('message_id is a v5 UUID of exchange, symbol and id: stable, and distinct per trade', () => {
    const a = messageId('BINANCE', 'BTCUSDT', 1);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(messageId('BINANCE', 'BTCUSDT', 1)).toBe(a);
    expect(messageId('BINANCE', 'BTCUSDT', 2)).not.toBe(a);
    expect(messageId('BINANCE', 'ETHUSDT', 1)).not.toBe(a);
    expect(toTradeV2(trade(), 1).message_id).toBe(toTradeV2(trade(), 2).message_id);
  });

  const serializer = singleObjectSerializer(tradeV2SchemaText());
  const roundTrip = (price: string, quantity: string) => {
    const back = decodeTradeV2(serializer.encode(toTradeV2(trade({ price, quantity }), 1)), serializer.type);
    return [back.price, back.quantity];
  };

  test.each([
    ['0.00000001', '0.00000001'],
    ['9999999999.99999999', '1.00000000'],
    ['0.1', '0.2'],
    ['65000.1', '0.30000000'],
    ['90071992.54740993', '123456789.12345678'],
    ['0', '0'],
  ])('decimals stay exact through Avro: %s x %s', (price, quantity) => {
    const [p, q] = roundTrip(price, quantity);
    expect(Number(p)).toBe(Number(price)); // a sanity check only; the string check is the real one
    expect(p).toBe(`${price.split('.')[0]}.${(price.split('.')[1] ?? '').padEnd(8, '0')}`);
    expect(q).toBe(`${quantity.split('.')[0]}.${(quantity.split('.')[1] ?? '').padEnd(8, '0')}`);
  });

  test('a value beyond decimal(18,8) or with too many places is refused, not rounded', () => {
    expect(() => serializer.encode(toTradeV2(trade({ price: '10000000000.00000000' }), 1))).toThrow(/precision/);
    expect(() => serializer.encode(toTradeV2(trade({ price: '1.000000001' }), 1))).toThrow(/decimal places/);
  });

  test('single-object encoding: C3 01, the CRC-64-AVRO fingerprint, then the body', () => {
    const bytes = serializer.encode(toTradeV2(trade(), 1));
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(bytes.subarray(2, 10)).toEqual(serializer.header.subarray(2, 10));
  });

  test('the scratch-buffer encoding is the header and toBuffer, byte for byte, for small and oversized values', () => {
    const small = toTradeV2(trade(), 1);
    const big = { ...small, trade_conditions: Array.from({ length: 400 }, (_, i) => `condition-${i}`) };
    for (const value of [small, big, small]) {
      expect(serializer.encode(value)).toEqual(Buffer.concat([serializer.header, serializer.type.toBuffer(value)]));
    }
    // Each result is its own copy: a later encode does not change an earlier one.
    const first = serializer.encode(small);
    const copy = Buffer.from(first);
    serializer.encode(toTradeV2(trade({ tradeId: 1, symbol: 'ETHUSDT' }), 2));
    expect(first).toEqual(copy);
  });
});
