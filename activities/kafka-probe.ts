import { Kafka, Partitioners } from 'kafkajs';
import { ensureTopics } from '../lib/kafka/topics';

export interface ProbeResult {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Writes one record and returns where Kafka put it: the smallest proof that a worker can reach
 * the broker, used by the smoke test of a deployment and by the foundation's round-trip test.
 */
export function createProbeActivities(kafka: Kafka) {
  return {
    async produceProbe(topic: string, key: string, value: string): Promise<ProbeResult> {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, [{ topic, partitions: 1 }]);
      } finally {
        await admin.disconnect();
      }
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      try {
        const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value }] });
        return { topic, partition: meta.partition, offset: meta.baseOffset ?? '-1' };
      } finally {
        await producer.disconnect();
      }
    },
  };
}
