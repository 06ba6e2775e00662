import { randomBytes } from 'node:crypto';
import { Kafka } from 'kafkajs';

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
    await scan(kafka, topic, ranges, decode, found, o.timeoutMs ?? 30_000);
    const missing = symbols.filter((s) => !found.has(s));
    const exhausted = ranges.every((r) => r.from <= r.low) || window >= maxScan;
    if (missing.length === 0 || exhausted) return found;
    window *= 4;
  }
}

async function scan(
  kafka: Kafka,
  topic: string,
  ranges: { partition: number; from: number; last: number }[],
  decode: (value: Buffer) => { symbol: string; id: number } | undefined,
  found: Map<string, number>,
  timeoutMs: number,
): Promise<void> {
  const consumer = kafka.consumer({ groupId: `k2-tail-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 100 });
  const reached = new Set<number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading the tail of ${topic} took over ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const range = ranges.find((r) => r.partition === batch.partition);
            if (!range) return;
            for (const m of batch.messages) {
              const offset = Number(m.offset);
              if (offset < range.from || offset > range.last || !m.value) continue;
              const rec = decode(m.value);
              if (rec) found.set(rec.symbol, Math.max(found.get(rec.symbol) ?? -1, rec.id));
              if (offset >= range.last) reached.add(range.partition);
            }
            if (reached.size === ranges.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .then(() => {
          for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: String(r.from) });
        }, reject);
    });
  } finally {
    await consumer.disconnect();
  }
}
