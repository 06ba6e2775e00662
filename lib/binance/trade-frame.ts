// Parses and validates what arrives on a combined-stream connection. Anything that is not a
// well-formed trade, a subscription reply or serverShutdown comes back as `invalid` with a
// reason, so it can be counted and kept; nothing here throws.

export interface BinanceTrade {
  eventType: 'trade';
  eventTime: number;
  symbol: string;
  tradeId: number;
  price: string;
  quantity: string;
  tradeTime: number;
  buyerIsMaker: boolean;
  isBestMatch: boolean;
}

export type InvalidReason = 'invalid_json' | 'not_an_object' | 'unknown_event' | 'missing_field' | 'wrong_type' | 'unexpected_symbol';

export type ParsedFrame =
  | { kind: 'trade'; trade: BinanceTrade }
  | { kind: 'server_shutdown'; eventTime: number }
  | { kind: 'reply'; id: unknown }
  | { kind: 'invalid'; reason: InvalidReason; detail: string };

const DECIMAL = /^\d+(\.\d+)?$/;
const REQUIRED: [string, 'number' | 'string' | 'boolean'][] = [
  ['E', 'number'],
  ['s', 'string'],
  ['t', 'number'],
  ['p', 'string'],
  ['q', 'string'],
  ['T', 'number'],
  ['m', 'boolean'],
];

const invalid = (reason: InvalidReason, detail: string): ParsedFrame => ({ kind: 'invalid', reason, detail });

export function parseFrame(text: string): ParsedFrame {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (err) {
    return invalid('invalid_json', (err as Error).message);
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return invalid('not_an_object', typeof msg);
  let o = msg as Record<string, unknown>;
  if ('result' in o || 'error' in o) return { kind: 'reply', id: o.id };
  if ('stream' in o && 'data' in o) {
    if (typeof o.data !== 'object' || o.data === null) return invalid('wrong_type', 'data is not an object');
    o = o.data as Record<string, unknown>;
  }
  if (o.e === 'serverShutdown') return { kind: 'server_shutdown', eventTime: typeof o.E === 'number' ? o.E : Date.now() };
  if (o.e !== 'trade') return invalid('unknown_event', `e=${JSON.stringify(o.e)}`);
  for (const [field, type] of REQUIRED) {
    if (!(field in o)) return invalid('missing_field', field);
    if (typeof o[field] !== type) return invalid('wrong_type', `${field} is ${typeof o[field]}, expected ${type}`);
  }
  const t = o.t as number;
  if (!Number.isSafeInteger(t) || t < 0) return invalid('wrong_type', 't is not a non-negative integer');
  if (!DECIMAL.test(o.p as string)) return invalid('wrong_type', 'p is not a decimal string');
  if (!DECIMAL.test(o.q as string)) return invalid('wrong_type', 'q is not a decimal string');
  return {
    kind: 'trade',
    trade: {
      eventType: 'trade',
      eventTime: o.E as number,
      symbol: o.s as string,
      tradeId: t,
      price: o.p as string,
      quantity: o.q as string,
      tradeTime: o.T as number,
      buyerIsMaker: o.m as boolean,
      isBestMatch: o.M !== false,
    },
  };
}

/** A row of /api/v3/historicalTrades, as the same trade shape (REST has no event time). */
export function tradeFromRest(symbol: string, row: Record<string, unknown>): BinanceTrade | undefined {
  const { id, price, qty, time, isBuyerMaker, isBestMatch } = row;
  if (typeof id !== 'number' || typeof price !== 'string' || typeof qty !== 'string' || typeof time !== 'number' || typeof isBuyerMaker !== 'boolean') {
    return undefined;
  }
  return {
    eventType: 'trade',
    eventTime: time,
    symbol,
    tradeId: id,
    price,
    quantity: qty,
    tradeTime: time,
    buyerIsMaker: isBuyerMaker,
    isBestMatch: isBestMatch !== false,
  };
}
