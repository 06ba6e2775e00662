import { proxyActivities } from '@temporalio/workflow';
import type { createProbeActivities } from '../activities/kafka-probe';

const { produceProbe } = proxyActivities<ReturnType<typeof createProbeActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/** Proves the path worker → Kafka end to end; its result is the record's partition and offset. */
export async function kafkaProbe(topic: string, key: string, value: string) {
  return produceProbe(topic, key, value);
}
