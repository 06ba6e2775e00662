import { randomBytes } from 'node:crypto';
import { Kafka } from 'kafkajs';

/** Offsets `from` to `last`, both inclusive, of one partition. */
export interface PartitionRange {
  partition: number;
  from: number;
  last: number;
}

export interface RangesRead {
  /** Per partition, the highest high watermark a fetch reported while reading. */
  highWatermarks: Map<number, number>;
}

/**
 * Reads exact offset ranges of a topic, committed records only, and returns when every range
 * is read. kafkajs has no manual assignment, so a throwaway consumer group subscribes and
 * seeks each partition. A transactional topic ends every batch with a commit marker, which
 * takes an offset but is never handed out as a record: a range counts as read once the
 * consumer's position (markers included) passes its last offset.
 */
export async function readPartitionRanges(
  kafka: Kafka,
  topic: string,
  ranges: PartitionRange[],
  onRecord: (partition: number, offset: number, value: Buffer | null) => void,
  o: { timeoutMs: number; onBatch?(): void; purpose: string },
): Promise<RangesRead> {
  const highWatermarks = new Map<number, number>();
  const todo = ranges.filter((r) => r.last >= r.from);
  if (todo.length === 0) return { highWatermarks };
  const consumer = kafka.consumer({ groupId: `k2-${o.purpose}-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 100, readUncommitted: false });
  const reached = new Set<number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${o.purpose}: reading ${topic} took over ${o.timeoutMs} ms`)), o.timeoutMs);
      // Fired for every fetched batch, also one holding only markers or aborted records.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const range = todo.find((r) => r.partition === payload.partition);
        if (!range) return;
        highWatermarks.set(range.partition, Math.max(highWatermarks.get(range.partition) ?? -1, Number(payload.highWatermark)));
        if (Number(payload.lastOffset) >= range.last) reached.add(range.partition);
        if (reached.size === todo.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const range = todo.find((r) => r.partition === batch.partition);
            if (!range) return;
            for (const m of batch.messages) {
              const offset = Number(m.offset);
              if (offset < range.from || offset > range.last) continue;
              onRecord(range.partition, offset, m.value);
            }
            o.onBatch?.();
          },
        })
        .then(() => {
          // Right after a broker restart the group may not be joined yet: fail, the caller retries.
          try {
            for (const r of todo) consumer.seek({ topic, partition: r.partition, offset: String(r.from) });
          } catch (err) {
            clearTimeout(timer);
            reject(err);
          }
        }, reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return { highWatermarks };
}

/** Each partition from the first record written at or after `sinceMs` (or its start) to its committed end. */
export async function partitionRangesSince(kafka: Kafka, topic: string, sinceMs?: number): Promise<PartitionRange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const starts =
      sinceMs === undefined
        ? new Map(offsets.map((p) => [p.partition, Number(p.low)]))
        : new Map((await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs)).map((p) => [p.partition, Number(p.offset)]));
    return offsets.map((p) => ({ partition: p.partition, from: starts.get(p.partition) ?? Number(p.low), last: Number(p.high) - 1 }));
  } finally {
    await admin.disconnect();
  }
}
