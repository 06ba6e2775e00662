import { EachMessagePayload, Kafka } from 'kafkajs';
import { createKafka } from '../../lib/kafka/client';
import { uniqueName } from './names';

export const testBrokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

export function testKafka(): Kafka {
  return createKafka({ brokers: testBrokers, clientId: uniqueName('test'), quiet: true });
}

/**
 * Reads a topic from the beginning with a fresh consumer group until `done` says enough, or
 * `timeoutMs` passes; an independent reader, sharing nothing with the producing code.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  done: (messages: EachMessagePayload['message'][]) => boolean,
  timeoutMs = 30_000,
): Promise<EachMessagePayload['message'][]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200 });
  const messages: EachMessagePayload['message'][] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, timeoutMs);
      consumer.run({
        eachMessage: async ({ message }) => {
          messages.push(message);
          if (done(messages)) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch((err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
