import { randomBytes } from 'node:crypto';
import { Kafka } from 'kafkajs';

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
  const admin = kafka.admin();
  await admin.connect();
  let ends: { partition: number; high: number }[];
  let starts: Map<number, number>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = offsets.map((p) => ({ partition: p.partition, high: Number(p.high) }));
    starts =
      o.sinceMs === undefined
        ? new Map(offsets.map((p) => [p.partition, Number(p.low)]))
        : new Map((await admin.fetchTopicOffsetsByTimestamp(topic, o.sinceMs)).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
  const todo = ends.filter((e) => e.high > (starts.get(e.partition) ?? 0));
  const total = todo.reduce((n, e) => n + e.high - (starts.get(e.partition) ?? 0), 0);
  const ids = new Map<string, number[]>();
  if (todo.length) {
    const consumer = kafka.consumer({ groupId: `k2-audit-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    let read = 0;
    const done = new Set<number>();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`audit of ${topic} took over ${o.timeoutMs ?? 600_000} ms`)), o.timeoutMs ?? 600_000);
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const end = todo.find((e) => e.partition === batch.partition);
              if (!end) return;
              for (const m of batch.messages) {
                const offset = Number(m.offset);
                if (offset >= end.high) break;
                read++;
                const rec = m.value ? decode(m.value) : undefined;
                if (rec) {
                  let list = ids.get(rec.symbol);
                  if (!list) ids.set(rec.symbol, (list = []));
                  list.push(rec.id);
                }
                if (offset >= end.high - 1) done.add(batch.partition);
              }
              o.onProgress?.(read, total);
              if (done.size === todo.length) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .then(() => todo.forEach((e) => consumer.seek({ topic, partition: e.partition, offset: String(starts.get(e.partition) ?? 0) })), reject);
      });
    } finally {
      await consumer.disconnect();
    }
  }
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
