import { Kafka } from 'kafkajs';
import { partitionRangesSince, readPartitionRanges } from '../kafka/partition-reader';

export interface SymbolAudit {
  count: number;
  firstId: number;
  lastId: number;
  /** Inclusive ranges of ids between first and last that the topic lacks. */
  missing: [number, number][];
  missingCount: number;
  duplicates: number;
}

export interface AuditOptions {
  /** Only records written at or after this time (ms); default: the whole topic. */
  sinceMs?: number;
  timeoutMs?: number;
  onProgress?(read: number, total: number): void;
}

/**
 * Reads a symbol-keyed trade topic up to its end as of now and reports, per symbol, the ids it
 * holds, the holes between the first and last, and ids written more than once.
 */
export async function auditTopic(
  kafka: Kafka,
  topic: string,
  decode: (value: Buffer) => { symbol: string; id: number } | undefined,
  o: AuditOptions = {},
): Promise<Map<string, SymbolAudit>> {
  const ranges = await partitionRangesSince(kafka, topic, o.sinceMs);
  const total = ranges.reduce((n, r) => n + Math.max(0, r.last - r.from + 1), 0);
  const ids = new Map<string, number[]>();
  let read = 0;
  await readPartitionRanges(
    kafka,
    topic,
    ranges,
    (_partition, _offset, value) => {
      read++;
      const rec = value ? decode(value) : undefined;
      if (!rec) return;
      let list = ids.get(rec.symbol);
      if (!list) ids.set(rec.symbol, (list = []));
      list.push(rec.id);
    },
    { timeoutMs: o.timeoutMs ?? 600_000, onBatch: () => o.onProgress?.(read, total), purpose: 'audit' },
  );
  const out = new Map<string, SymbolAudit>();
  for (const [symbol, list] of ids) {
    const sorted = [...list].sort((a, b) => a - b);
    const missing: [number, number][] = [];
    let duplicates = 0;
    let missingCount = 0;
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i] === sorted[i - 1]) duplicates++;
      else if (sorted[i] > sorted[i - 1] + 1) {
        missing.push([sorted[i - 1] + 1, sorted[i] - 1]);
        missingCount += sorted[i] - sorted[i - 1] - 1;
      }
    }
    out.set(symbol, { count: list.length, firstId: sorted[0], lastId: sorted[sorted.length - 1], missing, missingCount, duplicates });
  }
  return out;
}
