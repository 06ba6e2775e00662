import { Admin } from 'kafkajs';
import { Config } from '../config';

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

/**
 * The trade topic and its DLQ as the config asks. With more than one replica, acks=all must
 * mean at least two copies, or a leader that dies right after acknowledging loses the batch.
 */
export interface SessionTopics {
  trades: string;
  dlq: string;
}

/** The topics a session writes: the configured ones, unless the session names its own (a shadow). */
export function sessionTopics(config: Config, own?: { topic?: string; dlqTopic?: string }): SessionTopics {
  return { trades: own?.topic ?? config.kafka_topic, dlq: own?.dlqTopic ?? config.kafka_dlq_topic };
}

export function tradeTopicSpecs(config: Config, topics: SessionTopics = sessionTopics(config)): TopicSpec[] {
  const rf = config.kafka_replication_factor;
  const minIsr = config.kafka_min_insync_replicas ?? (rf > 1 ? Math.min(2, rf) : undefined);
  const configs: Record<string, string> = minIsr !== undefined ? { 'min.insync.replicas': String(minIsr) } : {};
  return [
    { topic: topics.trades, partitions: config.kafka_partitions, replicationFactor: rf, configs },
    { topic: topics.dlq, partitions: 1, replicationFactor: rf, configs },
  ];
}
