import type { Cursor, CursorResets } from '../pipeline/cursor';

/** A session's state that is kept per symbol, as continue-as-new carries it. */
export interface PerSymbolState {
  cursor: Cursor;
  totals: Record<string, number>;
  resets: CursorResets;
}

function pick<T>(record: Record<string, T>, keep: Set<string>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([s]) => keep.has(s)));
}

/**
 * The per-symbol state of a session whose symbols become `symbols`: a symbol that leaves takes
 * its cursor with it, so state stays bounded by the session's symbols. Should it come back, its
 * next run reads where the topic stands, as for any symbol without a cursor.
 */
export function narrowToSymbols(state: PerSymbolState, symbols: string[]): PerSymbolState & { symbols: string[] } {
  const keep = new Set(symbols);
  return { symbols: [...keep], cursor: pick(state.cursor, keep), totals: pick(state.totals, keep), resets: pick(state.resets, keep) };
}

/** A setSymbols request's symbols, upper-cased and deduplicated, or undefined when it is not a non-empty list. */
export function validSymbolList(symbols: unknown): string[] | undefined {
  if (!Array.isArray(symbols) || symbols.length === 0 || !symbols.every((s) => typeof s === 'string' && /^[A-Za-z0-9]{2,20}$/.test(s))) return undefined;
  return [...new Set(symbols.map((s: string) => s.toUpperCase()))];
}
