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
  const ids = new Map<string, number[]>();
  const outOfOrder = new Map<string, number>();
  let read = 0;
  await readPartitionRanges(
    kafka,
    topic,
    ranges,
    (_p, _o, value) => {
      read++;
      const rec = value ? decode(value) : undefined;
      if (!rec || !(rec.symbol in lastGenerated)) return;
      let list = ids.get(rec.symbol);
      if (!list) ids.set(rec.symbol, (list = []));
      if (list.length && rec.id < list[list.length - 1]) outOfOrder.set(rec.symbol, (outOfOrder.get(rec.symbol) ?? 0) + 1);
      list.push(rec.id);
    },
    { timeoutMs: 3_600_000, purpose: 'soak-truth', onBatch: () => onProgress?.(read, total) },
  );
  const perSymbol: SymbolCheck[] = Object.entries(lastGenerated).map(([symbol, last]) => {
    const list = ids.get(symbol) ?? [];
    if (list.length === 0) return { symbol, firstWritten: null, lastGenerated: last, written: 0, missing: 0, duplicated: 0, outOfOrder: 0 };
    const first = list.reduce((a, b) => Math.min(a, b), Infinity);
    const seen = new Uint8Array(last - first + 1);
    let duplicated = 0;
    // Read after the market stopped: no written id can be beyond the last generated one.
    for (const id of list) if (seen[id - first]++ === 1) duplicated++;
    let missing = 0;
    for (let i = 0; i < seen.length; i++) if (seen[i] === 0) missing++;
    return { symbol, firstWritten: first, lastGenerated: last, written: list.length, missing, duplicated, outOfOrder: outOfOrder.get(symbol) ?? 0 };
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
