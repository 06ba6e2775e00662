import { Kafka } from 'kafkajs';
import { readPartitionRanges } from './partition-reader';

export interface TailOptions {
  /** Records read back per partition at first; doubled while a symbol is not found. */
  window?: number;
  /** Give up on symbols not found within this many records per partition (a new symbol). */
  maxScan?: number;
  timeoutMs?: number;
}

/**
 * The highest trade id per symbol already in a symbol-keyed topic, read from the partitions'
 * tails. Trades of a symbol are written in id order to one partition, so the last record of a
 * symbol carries its highest id: what the topic holds, whatever any cursor says.
 */
export async function readTopicTail(
  kafka: Kafka,
  topic: string,
  symbols: string[],
  decode: (value: Buffer) => { symbol: string; id: number } | undefined,
  o: TailOptions = {},
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const admin = kafka.admin();
  await admin.connect();
  let offsets: { partition: number; high: string; low: string }[];
  try {
    offsets = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const partitions = offsets.filter((p) => Number(p.high) > Number(p.low));
  if (partitions.length === 0 || symbols.length === 0) return found;

  let window = o.window ?? 500;
  const maxScan = o.maxScan ?? 200_000;
  for (;;) {
    const ranges = partitions.map((p) => ({
      partition: p.partition,
      from: Math.max(Number(p.low), Number(p.high) - window),
      last: Number(p.high) - 1,
      low: Number(p.low),
    }));
    await readPartitionRanges(
      kafka,
      topic,
      ranges,
      (_partition, _offset, value) => {
        const rec = value ? decode(value) : undefined;
        if (rec) found.set(rec.symbol, Math.max(found.get(rec.symbol) ?? -1, rec.id));
      },
      { timeoutMs: o.timeoutMs ?? 30_000, purpose: 'tail' },
    );
    const missing = symbols.filter((s) => !found.has(s));
    const exhausted = ranges.every((r) => r.from <= r.low) || window >= maxScan;
    if (missing.length === 0 || exhausted) return found;
    window *= 4;
  }
}
