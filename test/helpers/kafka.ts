import { EachMessagePayload, Kafka } from 'kafkajs';
import { createKafka } from '../../lib/kafka/client';
import { uniqueName } from './names';

export const testBrokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

export function testKafka(brokers: string[] = testBrokers): Kafka {
  return createKafka({ kafka_brokers: brokers }, { clientId: uniqueName('test'), quiet: true });
}

type Message = EachMessagePayload['message'];

/**
 * Reads a topic from the beginning, committed records only, with a fresh consumer group until
 * `done` says enough; an independent reader, sharing nothing with the producing code. Not
 * reaching `done` within `timeoutMs` fails, naming what was awaited and what was read.
 */
export async function readTopic(kafka: Kafka, topic: string, done: (messages: Message[]) => boolean, timeoutMs = 30_000, what = 'the expected records'): Promise<Message[]> {
  const messages: Message[] = [];
  await consume(kafka, topic, timeoutMs, (finish, fail) => ({
    onMessage: (m) => {
      messages.push(m);
      if (done(messages)) finish();
    },
    onTimeout: () => fail(new Error(`reading ${topic}: ${what} not there within ${timeoutMs} ms (${messages.length} records read)`)),
  }));
  return messages;
}

/** Every committed record of a topic up to its end as of now (markers and aborted records skipped). */
export async function readToEnd(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<Message[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, number>();
  try {
    for (const p of await admin.fetchTopicOffsets(topic)) if (Number(p.high) > Number(p.low)) ends.set(p.partition, Number(p.high) - 1);
  } finally {
    await admin.disconnect();
  }
  const messages: Message[] = [];
  if (ends.size === 0) return messages;
  const reached = new Set<number>();
  await consume(kafka, topic, timeoutMs, (finish, fail) => ({
    onMessage: (m) => void messages.push(m),
    onBatchEnd: (partition, lastOffset) => {
      if (lastOffset >= (ends.get(partition) ?? Infinity)) reached.add(partition);
      if (reached.size === ends.size) finish();
    },
    onTimeout: () => fail(new Error(`reading ${topic} to its end took over ${timeoutMs} ms (${messages.length} records read)`)),
  }));
  return messages;
}

async function consume(
  kafka: Kafka,
  topic: string,
  timeoutMs: number,
  handlers: (finish: () => void, fail: (err: Error) => void) => { onMessage(m: Message): void; onBatchEnd?(partition: number, lastOffset: number): void; onTimeout(): void },
): Promise<void> {
  // A consumer may hand out an offset again (a rebalance, a leader change mid-read): that is
  // one record read twice, not a record written twice, so each offset counts once.
  const seen = new Set<string>();
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200, readUncommitted: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };
      const h = handlers(finish, fail);
      const timer = setTimeout(() => h.onTimeout(), timeoutMs);
      if (h.onBatchEnd) consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => h.onBatchEnd!(payload.partition, Number(payload.lastOffset)));
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const at = `${partition}:${message.offset}`;
            if (settled || seen.has(at)) return;
            seen.add(at);
            h.onMessage(message);
          },
        })
        .catch(fail);
    });
  } finally {
    await consumer.disconnect();
  }
}
