import { formatDecimal } from '../lib/decimal';

export type TimeUnit = 'ms' | 'us';

/** Binance's decimal strings carry 8 places ("95000.01000000"). */
export const units = (u: number) => formatDecimal(u, 8);

export function timeIn(unit: TimeUnit, timeUs: number): number {
  return unit === 'us' ? timeUs : Math.floor(timeUs / 1000);
}

export interface TradeFields {
  symbol: string;
  id: number;
  priceUnits: number;
  qtyUnits: number;
  timeUs: number;
  buyerMaker: boolean;
}

// Built as strings in Binance's field order: the hot path of the simulator, and what the
// exchange actually sends (JSON.stringify would not reorder, but it allocates an object).
export function tradePayload(t: TradeFields, eventUs: number, unit: TimeUnit): string {
  return `{"e":"trade","E":${timeIn(unit, eventUs)},"s":"${t.symbol}","t":${t.id},"p":"${units(t.priceUnits)}","q":"${units(
    t.qtyUnits,
  )}","T":${timeIn(unit, t.timeUs)},"m":${t.buyerMaker},"M":true}`;
}

export interface AggFields {
  symbol: string;
  aggId: number;
  firstId: number;
  lastId: number;
  priceUnits: number;
  qtyUnits: number;
  timeUs: number;
  buyerMaker: boolean;
}

export function aggTradePayload(a: AggFields, eventUs: number, unit: TimeUnit): string {
  return `{"e":"aggTrade","E":${timeIn(unit, eventUs)},"s":"${a.symbol}","a":${a.aggId},"p":"${units(a.priceUnits)}","q":"${units(
    a.qtyUnits,
  )}","f":${a.firstId},"l":${a.lastId},"T":${timeIn(unit, a.timeUs)},"m":${a.buyerMaker},"M":true}`;
}

export function combined(stream: string, payload: string): string {
  return `{"stream":"${stream}","data":${payload}}`;
}

export function serverShutdownPayload(eventUs: number, unit: TimeUnit): string {
  return `{"e":"serverShutdown","E":${timeIn(unit, eventUs)}}`;
}
