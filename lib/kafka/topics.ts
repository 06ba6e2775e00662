import { Admin } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** -1 lets the broker use its default. */
  replicationFactor?: number;
  configs?: Record<string, string>;
}

/**
 * Creates the topics the project writes to, with the partition counts it wants: the local
 * broker has auto-creation off, and a production one should too.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((s) => ({
      topic: s.topic,
      numPartitions: s.partitions,
      replicationFactor: s.replicationFactor ?? -1,
      configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
}
