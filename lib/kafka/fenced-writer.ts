import { CompressionTypes, Kafka, Message, PartitionMetadata, Partitioners, Producer, TopicMessages } from 'kafkajs';
import { installGzipCodec } from './gzip-codec';

/**
 * The one writer of a stream session. Every writer of a session shares its transactional id,
 * so `open()` of a new one fences every older one: Kafka aborts the older writer's open
 * transaction, waits for a committing one to finish, and refuses the older writer's next send
 * or commit. Whatever any older writer committed is therefore in the topic before `open()`
 * returns, and nothing it does afterwards can land: reading the topic's tail after `open()`
 * gives the exact point to continue from.
 */
export interface FencedWriter {
  readonly transactionalId: string;
  open(): Promise<void>;
  /** One batch as one transaction: all of it visible to read_committed readers, or none. */
  write(topicMessages: TopicMessages[]): Promise<void>;
  close(): Promise<void>;
}

/** A newer writer of the same session took over: this one must stop without writing. */
export class WriterFencedError extends Error {
  constructor(readonly transactionalId: string, cause: unknown) {
    super(`fenced: a newer writer of ${transactionalId} took over (${(cause as Error)?.message ?? cause})`, { cause });
    this.name = 'WriterFencedError';
  }
}

// Kafka answers a fenced producer with PRODUCER_FENCED (90) on new protocol versions and
// INVALID_PRODUCER_EPOCH (47) on the ones kafkajs speaks; a timed-out transaction is aborted
// by the coordinator with an epoch bump, which looks the same, and is handled the same way.
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTION_COORDINATOR_FENCED']);
const FENCED_CODES = new Set([47, 52, 90]);

/** Whether an error (or anything it wraps: retries, several brokers) says this producer is fenced. */
export function isFencedError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  if (err instanceof WriterFencedError) return true;
  const e = err as { type?: string; code?: number; originalError?: unknown; cause?: unknown; errors?: unknown[] };
  if ((e.type && FENCED_TYPES.has(e.type)) || (typeof e.code === 'number' && FENCED_CODES.has(e.code))) return true;
  return [e.originalError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])].some((inner) => isFencedError(inner, depth + 1));
}

/**
 * Below this many records a send goes uncompressed: a streaming session at a few trades per
 * second per partition sends batches of a handful of records, where gzip saves a few hundred bytes
 * and each call's deflate set-up cost most of a worker's CPU (bench:fleet at the realistic rate).
 */
export const COMPRESS_MIN_RECORDS = 32;

function compressionFor(send: TopicMessages[], configured: CompressionTypes): CompressionTypes {
  // kafkajs compresses each partition's record batch with the request's one codec: decide by
  // the records per partition.
  let records = 0;
  let partitions = 0;
  for (const { messages } of send) {
    records += messages.length;
    partitions += new Set(messages.map((m) => m.partition)).size;
  }
  return records < COMPRESS_MIN_RECORDS * partitions ? CompressionTypes.None : configured;
}

/** The `compression` setting as kafkajs names it. */
export function kafkaCompression(setting: 'gzip' | 'none'): CompressionTypes {
  return setting === 'none' ? CompressionTypes.None : CompressionTypes.GZIP;
}

/** The transactional id of a session: stable across its runs and attempts, distinct per workflow id. */
export function sessionTransactionalId(prefix: string, workflowId: string): string {
  return `${prefix}:${workflowId}`;
}

export interface FencedWriterOptions {
  transactionalId: string;
  compression?: CompressionTypes;
  /** Kafka aborts a transaction left open this long (a frozen writer): read_committed readers wait at most this. */
  transactionTimeoutMs?: number;
}

/**
 * Splits a batch into one send per partition leader, each message pinned to the partition
 * kafkajs' default partitioner would choose. kafkajs sends a multi-broker batch as parallel
 * requests and retries all unanswered ones as soon as one fails; a request still in flight then
 * goes out a second time with the next sequence numbers, and the broker keeps both copies inside
 * the transaction (seen on a 3-broker cluster). A send whose partitions share one leader is one
 * produce request, so its retries reuse its sequence numbers and the broker drops the copy; and
 * a transaction costs one AddPartitionsToTxn and one Produce per broker instead of one of each
 * per partition, taken in turn under kafkajs' broker lock (at 20,000 trades/s over 6 partitions,
 * the difference between ~13 round trips per transaction and 3).
 */
export async function perLeader(
  topicMessages: TopicMessages[],
  partitionsOf: (topic: string) => Promise<PartitionMetadata[]>,
  cache: PartitionCache = new Map(),
): Promise<TopicMessages[][]> {
  const partitioner = Partitioners.DefaultPartitioner();
  const byLeader = new Map<number, Map<string, Message[]>>();
  for (const { topic, messages } of topicMessages) {
    const partitionMetadata = await partitionsOf(topic);
    let byKey = cache.get(topic);
    if (!byKey) cache.set(topic, (byKey = new Map()));
    for (const message of messages) {
      // Per trade: kafkajs' murmur2 runs on emulated 64-bit longs, and a string key is turned
      // into a Buffer again by the hash and the encoder. A session's keys are its symbols (and
      // DLQ reasons), so each key's Buffer, partition and leader are worked out once.
      const keyText = typeof message.key === 'string' ? message.key : undefined;
      let known = keyText === undefined ? undefined : byKey.get(keyText);
      if (!known) {
        const key = keyText === undefined ? (message.key ?? null) : Buffer.from(keyText);
        const partition = partitioner({ topic, partitionMetadata, message: { ...message, key } });
        const leader = partitionMetadata.find((p) => p.partitionId === partition)?.leader ?? -1;
        known = { key, partition, leader };
        if (keyText !== undefined) byKey.set(keyText, known);
      }
      let topics = byLeader.get(known.leader);
      if (!topics) byLeader.set(known.leader, (topics = new Map()));
      let group = topics.get(topic);
      if (!group) topics.set(topic, (group = []));
      group.push({ key: known.key, value: message.value, partition: known.partition });
    }
  }
  return [...byLeader.values()].map((topics) => [...topics].map(([topic, messages]) => ({ topic, messages })));
}

/**
 * Per topic, each string key's Buffer, partition and that partition's leader. Partition counts do
 * not change under a session; leaders can, and a failed write replaces the writer (TradeSink),
 * and with it this cache.
 */
export type PartitionCache = Map<string, Map<string, { key: Buffer | string | null; partition: number; leader: number }>>;

export function createFencedWriter(kafka: Kafka, o: FencedWriterOptions): FencedWriter {
  installGzipCodec();
  let producer: Producer | undefined;
  const fenced = (err: unknown) => (isFencedError(err) ? new WriterFencedError(o.transactionalId, err) : err);
  // Partition counts do not change under a running session (symbols would move partitions).
  const partitions = new Map<string, Promise<PartitionMetadata[]>>();
  const keyPartitions: PartitionCache = new Map();
  const partitionsOf = (topic: string) => {
    let p = partitions.get(topic);
    if (!p) {
      p = (async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          return (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions;
        } finally {
          await admin.disconnect();
        }
      })();
      p.catch(() => partitions.delete(topic));
      partitions.set(topic, p);
    }
    return p;
  };
  return {
    transactionalId: o.transactionalId,
    async open() {
      producer = kafka.producer({
        transactionalId: o.transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        transactionTimeout: o.transactionTimeoutMs ?? 60_000,
        createPartitioner: Partitioners.DefaultPartitioner,
        // A transaction begun right after a commit meets CONCURRENT_TRANSACTIONS until the
        // commit markers are written (a few milliseconds on a healthy broker): retry that after
        // 5 ms, doubling, not after kafkajs' 300 ms. Started at 20 ms it was the p99 of frame→ack
        // at 20,000 trades/s (42 → 31 ms); 8 retries still give a broker that is away ~1.3 s.
        retry: { retries: 8, initialRetryTime: 5, maxRetryTime: 1_000 },
      });
      try {
        await producer.connect();
        // kafkajs claims the transactional id (InitProducerId, the fencing step) lazily, at the
        // first transaction: begin an empty one now, so the fence comes before any tail read.
        await (await producer.transaction()).abort();
      } catch (err) {
        throw fenced(err);
      }
    },
    async write(topicMessages) {
      if (!producer) throw new Error('fenced writer: write before open');
      try {
        const sends = await perLeader(topicMessages, partitionsOf, keyPartitions);
        const tx = await producer.transaction();
        const results = await Promise.allSettled(
          sends.map((send) => tx.sendBatch({ acks: -1, compression: compressionFor(send, o.compression ?? CompressionTypes.GZIP), topicMessages: send })),
        );
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        await tx.commit();
      } catch (err) {
        // No abort here: the transaction's fate is settled by the next writer's open(), which
        // aborts it unless its commit got through, and a fenced producer could not abort anyway.
        throw fenced(err);
      }
    },
    async close() {
      await producer?.disconnect().catch(() => undefined);
      producer = undefined;
    },
  };
}
