import type { BinanceTrade } from '../binance/trade-frame';

// The dead-letter topic's records. Every one is a JSON object with a `reason`, so a consumer can
// tell bad frames, unrecoverable gaps and id regressions apart, and audit every id the trade
// topic lacks from the `unrecoverable_gap` records alone.

export interface DeadLetter {
  /** The record's key: the symbol where there is one, else the reason. */
  key: string;
  body: Record<string, unknown> & { reason: string };
}

/** A frame may be as large as max_payload_bytes (1 MB): cut, so its dead letter fits in one Kafka record. */
const MAX_RAW_CHARS = 256 * 1024;

/** A frame that is not a trade of this session (invalid JSON, a missing field, another symbol, too big). */
export function badFrame(raw: string, reason: string, detail: string, receivedAt: number): DeadLetter {
  const truncated = raw.length > MAX_RAW_CHARS;
  return {
    key: reason,
    body: {
      reason,
      detail,
      raw: truncated ? raw.slice(0, MAX_RAW_CHARS) : raw,
      truncated,
      bytes: raw.length,
      received_at: new Date(receivedAt).toISOString(),
      source: 'binance-ws',
    },
  };
}

/** Ids `fromId`..`toId` the topic will never hold; `trade` when it was there but could not be encoded. */
export function unrecoverableGap(symbol: string, fromId: number, toId: number, reason: string, trade?: BinanceTrade): DeadLetter {
  return {
    key: symbol,
    body: {
      reason: 'unrecoverable_gap',
      detail: reason,
      symbol,
      from_id: fromId,
      to_id: toId,
      at: new Date().toISOString(),
      ...(trade ? { raw: JSON.stringify(trade) } : {}),
    },
  };
}

/** Live ids far below the symbol's cursor: another id space, held until an operator resets it. */
export function idRegression(symbol: string, cursor: number, seenId: number): DeadLetter {
  return { key: symbol, body: { reason: 'id_regression', symbol, cursor, seen_id: seenId, at: new Date().toISOString() } };
}
