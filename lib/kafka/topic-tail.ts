import { Kafka } from 'kafkajs';
import { abortableSleep } from '../abortable-sleep';
import { readPartitionRanges } from './partition-reader';

export interface TailOptions {
  /** Records read back per partition at first; grown while a symbol is not found. */
  window?: number;
  /** Give up on symbols not found within this many records per partition (a new symbol). */
  maxScan?: number;
  timeoutMs?: number;
  /** How long to wait for other writers' open transactions to settle (their transaction timeout). */
  settleTimeoutMs?: number;
}

/**
 * The last trade id per symbol already in a symbol-keyed topic, read from the partitions'
 * committed tails. Trades of a symbol are written in id order to one partition, so the last
 * record of a symbol says where the topic stands, whatever any cursor says. The last record,
 * not the largest id: after an operator reset a symbol's cursor, records of a wrong
 * environment may sit before it with far larger ids.
 *
 * Read committed, so an aborted transaction never counts. Kafka hands committed records out only
 * up to a partition's first open transaction; another writer's (a fleet shard's) open
 * transaction could hide our own later records, so the read is repeated until the committed end
 * reaches the high watermark seen at the start.
 */
export async function readTopicTail(
  kafka: Kafka,
  topic: string,
  symbols: string[],
  decode: (value: Buffer) => { symbol: string; id: number } | undefined,
  o: TailOptions = {},
): Promise<Map<string, number>> {
  const first = await readOnce(kafka, topic, symbols, decode, o);
  const behind = () => [...first.highWatermarks].filter(([p, hw]) => (first.stableEnd.get(p) ?? 0) < hw);
  if (behind().length === 0) return first.found;
  // Our records are all settled (the caller's writer fenced every older one); what lies
  // between the stable end and the high watermark waits only for other writers' transactions.
  const settleBy = Date.now() + (o.settleTimeoutMs ?? 65_000);
  for (;;) {
    const now = await stableEnds(kafka, topic);
    if (behind().every(([p, hw]) => (now.get(p) ?? 0) >= hw) || Date.now() > settleBy) break;
    await abortableSleep(100);
  }
  return (await readOnce(kafka, topic, symbols, decode, o)).found;
}

/** Each partition's last stable offset (kafkajs lists offsets read_committed), and its low end. */
async function stableEnds(kafka: Kafka, topic: string, lows?: Map<number, number>): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    for (const p of offsets) lows?.set(p.partition, Number(p.low));
    return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

async function readOnce(
  kafka: Kafka,
  topic: string,
  symbols: string[],
  decode: (value: Buffer) => { symbol: string; id: number } | undefined,
  o: TailOptions,
): Promise<{ found: Map<string, number>; stableEnd: Map<number, number>; highWatermarks: Map<number, number> }> {
  const found = new Map<string, number>();
  const lows = new Map<number, number>();
  const stableEnd = await stableEnds(kafka, topic, lows);
  const partitions = [...stableEnd].filter(([p, high]) => high > (lows.get(p) ?? 0));
  let highWatermarks = new Map<number, number>();
  if (partitions.length === 0 || symbols.length === 0) return { found, stableEnd, highWatermarks };

  let window = o.window ?? 500;
  const maxScan = o.maxScan ?? 200_000;
  for (;;) {
    const ranges = partitions.map(([partition, high]) => ({
      partition,
      from: Math.max(lows.get(partition) ?? 0, high - window),
      last: high - 1,
      low: lows.get(partition) ?? 0,
    }));
    found.clear();
    ({ highWatermarks } = await readPartitionRanges(
      kafka,
      topic,
      ranges,
      (_partition, _offset, value) => {
        // In offset order per partition, and a symbol lives in one partition: the last one wins.
        const rec = value ? decode(value) : undefined;
        if (rec) found.set(rec.symbol, rec.id);
      },
      { timeoutMs: o.timeoutMs ?? 30_000, purpose: 'tail' },
    ));
    const missing = symbols.filter((s) => !found.has(s));
    const exhausted = ranges.every((r) => r.from <= r.low) || window >= maxScan;
    if (missing.length === 0 || exhausted) return { found, stableEnd, highWatermarks };
    window *= 4;
  }
}
