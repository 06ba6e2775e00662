/** Per-symbol last trade id acknowledged by Kafka: the only state that matters. */
export type Cursor = Record<string, number>;

/** The furthest of several cursors, symbol by symbol (a resumed run takes what is known best). */
export function mergeCursors(...cursors: (Cursor | Map<string, number> | undefined)[]): Cursor {
  const out: Cursor = {};
  for (const c of cursors) {
    if (!c) continue;
    const entries = c instanceof Map ? [...c.entries()] : Object.entries(c);
    for (const [symbol, id] of entries) {
      if (typeof id === 'number' && Number.isFinite(id) && id > (out[symbol] ?? -Infinity)) out[symbol] = id;
    }
  }
  return out;
}

/**
 * Symbols an operator reset (`k2 stream reset-cursor`): the cursor restarts at `to` (or, when
 * null, at the next live trade), and records of the old id space still in the topic, ids at or
 * above `from - id_regression_threshold`, no longer tell where the topic stands. A reset is
 * dropped once the session has committed a trade of the symbol after it.
 */
export type CursorResets = Record<string, { to: number | null; from: number | null }>;
