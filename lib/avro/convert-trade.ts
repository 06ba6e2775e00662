import { createHash } from 'node:crypto';
import { splitSymbol } from '../binance/symbols';
import { BinanceTrade } from '../binance/trade-frame';
import { TradeV2 } from './trade-v2-schema';

// UUID v5 namespace for k2-stream message ids (a fixed random UUID).
const NAMESPACE = Buffer.from('6f1d2b4e8a3c4f0b9e7d5a1c3b2e4f60', 'hex');

/** RFC 4122 v5 UUID of exchange, symbol and trade id: the same trade always gets the same id. */
export function messageId(exchange: string, symbol: string, tradeId: number): string {
  const hash = createHash('sha1').update(NAMESPACE).update(`${exchange}:${symbol}:${tradeId}`).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const assetsCache = new Map<string, { base: string; quote: string }>();

function assetsOf(symbol: string) {
  let a = assetsCache.get(symbol);
  if (!a) {
    a = splitSymbol(symbol);
    assetsCache.set(symbol, a);
  }
  return a;
}

/**
 * A Binance trade as TradeV2. Times arrive in microseconds (the stream and REST are asked for
 * them); price and quantity stay the exchange's decimal strings.
 */
export function toTradeV2(trade: BinanceTrade, ingestionUs: number): TradeV2 {
  const { base, quote } = assetsOf(trade.symbol);
  return {
    message_id: messageId('BINANCE', trade.symbol, trade.tradeId),
    trade_id: `BINANCE-${trade.tradeId}`,
    symbol: trade.symbol,
    exchange: 'BINANCE',
    asset_class: 'crypto',
    timestamp: trade.tradeTime,
    price: trade.price,
    quantity: trade.quantity,
    currency: quote,
    // m: the buyer is the maker, so the taker sold.
    side: trade.buyerIsMaker ? 'SELL' : 'BUY',
    trade_conditions: [],
    source_sequence: trade.tradeId,
    ingestion_timestamp: ingestionUs,
    platform_sequence: null,
    vendor_data: {
      is_buyer_maker: String(trade.buyerIsMaker),
      event_type: trade.eventType,
      event_time: String(trade.eventTime),
      trade_time: String(trade.tradeTime),
      base_asset: base,
      quote_asset: quote,
      is_best_match: String(trade.isBestMatch),
    },
  };
}
