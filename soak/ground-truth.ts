import { Kafka } from 'kafkajs';
import { TradeKey } from '../lib/avro/serializer';
import { partitionRangesSince, readPartitionRanges } from '../lib/kafka/partition-reader';
import { GroundTruthResult } from './soak-verdict';

export interface SymbolCheck {
  symbol: string;
  firstWritten: number | null;
  lastGenerated: number;
  written: number;
  missing: number;
  duplicated: number;
  outOfOrder: number;
}

/**
 * Reads the whole topic (committed records) and checks it against the ids the simulator
 * generated: per symbol, every id from the first written to the last generated exactly once,
 * in order. Ids are counted in a byte per id, so tens of millions fit in tens of MB.
 */
export async function checkGroundTruth(
  kafka: Kafka,
  topic: string,
  lastGenerated: Record<string, number>,
  decode: (value: Buffer) => TradeKey | undefined,
  onProgress?: (read: number, total: number) => void,
): Promise<GroundTruthResult & { perSymbol: SymbolCheck[] }> {
  const ranges = await partitionRangesSince(kafka, topic);
  const total = ranges.reduce((n, r) => n + Math.max(0, r.last - r.from + 1), 0);
  const tallies = new Map<string, SymbolTally>();
  let read = 0;
  await readPartitionRanges(
    kafka,
    topic,
    ranges,
    (_p, _o, value) => {
      read++;
      const rec = value ? decode(value) : undefined;
      if (!rec || !(rec.symbol in lastGenerated)) return;
      let tally = tallies.get(rec.symbol);
      // Read after the market stopped, so the last generated id bounds every written one:
      // the first record sizes the symbol's counts once.
      if (!tally) tallies.set(rec.symbol, (tally = newTally(rec.id, lastGenerated[rec.symbol])));
      tallyId(tally, rec.id);
    },
    { timeoutMs: 3_600_000, purpose: 'soak-truth', onBatch: () => onProgress?.(read, total) },
  );
  const perSymbol: SymbolCheck[] = Object.entries(lastGenerated).map(([symbol, last]) => {
    const tally = tallies.get(symbol);
    if (!tally) return { symbol, firstWritten: null, lastGenerated: last, written: 0, missing: 0, duplicated: 0, outOfOrder: 0 };
    return { symbol, lastGenerated: last, ...summarizeTally(tally) };
  });
  return {
    perSymbol,
    symbols: perSymbol.length,
    symbolsWithoutRecords: perSymbol.filter((s) => s.written === 0).map((s) => s.symbol),
    written: perSymbol.reduce((n, s) => n + s.written, 0),
    missing: perSymbol.reduce((n, s) => n + s.missing, 0),
    duplicated: perSymbol.reduce((n, s) => n + s.duplicated, 0),
    outOfOrder: perSymbol.reduce((n, s) => n + s.outOfOrder, 0),
  };
}

export interface SymbolTally {
  first: number;
  /** Times each id from `first` to the last generated one was written, saturating at 255. */
  seen: Uint8Array;
  /** Ids below the first written one (only an out-of-order topic has them), by id. */
  below: Map<number, number>;
  beyond: number;
  previous: number;
  written: number;
  outOfOrder: number;
}

export function newTally(first: number, last: number): SymbolTally {
  return { first, seen: new Uint8Array(Math.max(0, last - first + 1)), below: new Map(), beyond: 0, previous: -Infinity, written: 0, outOfOrder: 0 };
}

export function tallyId(t: SymbolTally, id: number): void {
  t.written++;
  if (id < t.previous) t.outOfOrder++;
  t.previous = id;
  const i = id - t.first;
  if (i < 0) t.below.set(id, (t.below.get(id) ?? 0) + 1);
  else if (i >= t.seen.length) t.beyond++;
  else if (t.seen[i] < 255) t.seen[i]++;
}

export function summarizeTally(t: SymbolTally): Omit<SymbolCheck, 'symbol' | 'lastGenerated'> {
  // An id past the last generated one was never emitted: an extra record, counted with the copies.
  let duplicated = t.beyond;
  let missing = 0;
  for (let i = 0; i < t.seen.length; i++) {
    if (t.seen[i] === 0) missing++;
    else duplicated += t.seen[i] - 1;
  }
  let firstWritten = t.first;
  const below = [...t.below.keys()].sort((a, b) => a - b);
  if (below.length) {
    firstWritten = below[0];
    missing += t.first - below[0] - below.length;
    for (const n of t.below.values()) duplicated += n - 1;
  }
  return { firstWritten, written: t.written, missing, duplicated, outOfOrder: t.outOfOrder };
}
