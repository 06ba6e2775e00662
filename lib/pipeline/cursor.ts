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
