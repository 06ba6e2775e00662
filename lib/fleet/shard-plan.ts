// How a symbol universe is split over stream sessions. Pure and deterministic: the planning
// activity runs it, and its result is what the fleet workflow records in history.

/** A symbol the exchange lists, with its expected trade rate (its 24 h trade count / 86,400). */
export interface ListedSymbol {
  symbol: string;
  rate: number;
}

/** One stream session of the fleet: a connection's worth of symbols. */
export interface Shard {
  /** 1-based; the session's workflow id is `<prefix>-<index>`. */
  index: number;
  workflowId: string;
  /** Sorted. */
  symbols: string[];
  /** Sum of the symbols' expected trades/s. */
  expectedRate: number;
}

export interface ShardPlan {
  shards: Shard[];
  added: string[];
  removed: string[];
  /** Shards that lost every symbol: their sessions stop. */
  emptied: Shard[];
}

/** Binance's streams per connection. */
export const MAX_SHARD_SIZE = 1024;
export const DEFAULT_SHARD_SIZE = 200;

export function shardWorkflowId(prefix: string, index: number): string {
  return `${prefix}-${index}`;
}

export function checkShardSize(size: number): number {
  if (!Number.isInteger(size) || size < 1 || size > MAX_SHARD_SIZE) {
    throw new Error(`shard size must be an integer from 1 to ${MAX_SHARD_SIZE} (Binance's streams per connection), got ${size}`);
  }
  return size;
}

const busiestFirst = (a: ListedSymbol, b: ListedSymbol) => b.rate - a.rate || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);

/**
 * The shards after the universe changed to `universe`. Symbols that stay never move: moving one
 * would have two sessions write it until both rotated. Delisted symbols leave their shard; new
 * ones go, busiest first, to the shard with the lowest expected rate that has room (their former
 * shard if they come back, whose session may still stream them), and new shards are added when
 * the count needs more. From no shards this is a balanced split (longest-processing-time first).
 */
export function planShards(
  current: Shard[],
  universe: ListedSymbol[],
  o: { shardSize: number; prefix: string; formerShard?: Record<string, number>; highestIndex?: number },
): ShardPlan {
  const size = checkShardSize(o.shardSize);
  const rates = new Map(universe.map((u) => [u.symbol, Number.isFinite(u.rate) && u.rate > 0 ? u.rate : 0]));
  const placed = new Set<string>();
  const removed: string[] = [];
  const working = current.map((s) => {
    const kept = s.symbols.filter((sym) => {
      if (rates.has(sym) && !placed.has(sym)) return placed.add(sym);
      if (!rates.has(sym)) removed.push(sym);
      return false;
    });
    return { index: s.index, symbols: kept, rate: kept.reduce((sum, sym) => sum + rates.get(sym)!, 0) };
  });
  const added = universe.filter((u) => !placed.has(u.symbol)).sort(busiestFirst);
  const total = placed.size + added.length;
  // Never an index a stopped shard had: its session may still be draining under that id.
  let nextIndex = current.reduce((m, s) => Math.max(m, s.index), o.highestIndex ?? 0) + 1;
  // A shard emptied by delistings still has its session running: it takes new symbols first.
  while (working.length * size < total) working.push({ index: nextIndex++, symbols: [], rate: 0 });
  for (const u of added) {
    const former = working.find((s) => s.index === o.formerShard?.[u.symbol] && s.symbols.length < size);
    let target = former;
    if (!target) {
      for (const s of working) if (s.symbols.length < size && (!target || s.rate < target.rate)) target = s;
    }
    if (!target) working.push((target = { index: nextIndex++, symbols: [], rate: 0 }));
    target.symbols.push(u.symbol);
    target.rate += rates.get(u.symbol)!;
  }
  const shards: Shard[] = [];
  const emptied: Shard[] = [];
  for (const s of working) {
    const shard = { index: s.index, workflowId: shardWorkflowId(o.prefix, s.index), symbols: [...s.symbols].sort(), expectedRate: s.rate };
    if (shard.symbols.length) shards.push(shard);
    else if (current.some((c) => c.index === s.index)) emptied.push(shard);
  }
  return { shards: shards.sort((a, b) => a.index - b.index), added: added.map((u) => u.symbol).sort(), removed: removed.sort(), emptied };
}

/** What changed between two plans, shard by shard: sessions to start, to re-symbol and to stop. */
export function shardChanges(before: Shard[], after: Shard[]): { start: Shard[]; update: Shard[] } {
  const old = new Map(before.map((s) => [s.index, s]));
  const start: Shard[] = [];
  const update: Shard[] = [];
  for (const s of after) {
    const prev = old.get(s.index);
    if (!prev) start.push(s);
    else if (prev.symbols.join(',') !== s.symbols.join(',')) update.push(s);
  }
  return { start, update };
}
