import { randomBytes } from 'node:crypto';
import { Kafka } from 'kafkajs';

/** Offsets `from` to `last`, both inclusive, of one partition. */
export interface PartitionRange {
  partition: number;
  from: number;
  last: number;
}

/**
 * Reads exact offset ranges of a topic and returns when every range is read. kafkajs has no
 * manual assignment, so a throwaway consumer group subscribes and seeks each partition.
 */
export async function readPartitionRanges(
  kafka: Kafka,
  topic: string,
  ranges: PartitionRange[],
  onRecord: (partition: number, offset: number, value: Buffer | null) => void,
  o: { timeoutMs: number; onBatch?(): void; purpose: string },
): Promise<void> {
  const todo = ranges.filter((r) => r.last >= r.from);
  if (todo.length === 0) return;
  const consumer = kafka.consumer({ groupId: `k2-${o.purpose}-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 100 });
  const reached = new Set<number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${o.purpose}: reading ${topic} took over ${o.timeoutMs} ms`)), o.timeoutMs);
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
              if (offset >= range.last) reached.add(range.partition);
            }
            o.onBatch?.();
            if (reached.size === todo.length) {
              clearTimeout(timer);
              resolve();
            }
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
}
