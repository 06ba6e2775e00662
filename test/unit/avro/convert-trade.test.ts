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

  test('message_id is the RFC 4122 v5 UUID of the name, the same in every release', () => {
    // Consumers deduplicate on it across releases: checked against SHA-1 done the long way.
    const { createHash } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const v5 = (name: string) => {
      const b = createHash('sha1').update(Buffer.from('6f1d2b4e8a3c4f0b9e7d5a1c3b2e4f60', 'hex')).update(name).digest();
      b[6] = (b[6] & 0x0f) | 0x50;
      b[8] = (b[8] & 0x3f) | 0x80;
      const h = b.subarray(0, 16).toString('hex');
      return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join('-');
    };
    expect(messageId('BINANCE', 'BTCUSDT', 1)).toBe('81538dc5-8318-5816-8fc7-7e33f3229d45');
    for (const [symbol, id] of [['ETHBTC', 0], ['BTCUSDT', 9_007_199_254_740_991], ['X'.repeat(400), 5]] as const) {
      expect(messageId('BINANCE', symbol, id)).toBe(v5(`BINANCE:${symbol}:${id}`));
    }
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
