import { Partitioners } from 'kafkajs';
import { KafkaCluster, startKafkaCluster } from '../../ops/infra/kafka-cluster';
import { FaultRow, printFaultTable, runFaultCase } from '../helpers/fault-case';
import { testKafka } from '../helpers/kafka';
import { StreamEnv } from '../helpers/stream-env';
import { sleep } from '../helpers/ws-client';

// A production-shaped Kafka: three KRaft nodes, the topic replicated 3 times with
// min.insync.replicas 2, and the leader of a busy partition killed under load. acks=all then
// means two copies, so the new leader has every acknowledged batch, and a transaction cut off
// by the kill is aborted or completed, never half-visible.

let cluster: KafkaCluster;
const rows: FaultRow[] = [];

beforeAll(async () => {
  cluster = await startKafkaCluster();
  const s = cluster.stats();
  process.stdout.write(
    `\n3-node KRaft cluster: ready in ${(s.startupMs / 1000).toFixed(1)} s; RSS ${s.nodes.map((n) => `node ${n.id} ${Math.round((n.rssBytes ?? 0) / 2 ** 20)} MB`).join(', ')}\n`,
  );
}, 180_000);

afterAll(async () => {
  printFaultTable('Fault matrix (replicated Kafka)', rows);
  await cluster?.stop({ deleteData: !process.env.K2_KEEP_CLUSTER_DATA });
}, 60_000);

/** The node leading the partition BTCUSDT's trades go to. */
async function leaderOfBtc(env: StreamEnv): Promise<number> {
  const admin = testKafka(cluster.brokers).admin();
  await admin.connect();
  try {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [env.config.kafka_topic] })).topics;
    const partitionMetadata = meta.partitions.map((p) => ({ ...p, partitionId: p.partitionId, leader: p.leader }));
    const partition = Partitioners.DefaultPartitioner()({ topic: meta.name, partitionMetadata, message: { key: 'BTCUSDT', value: null } });
    const leader = await cluster.leaderOf(admin, env.config.kafka_topic, partition);
    if (leader === undefined) throw new Error(`no leader for partition ${partition}`);
    return leader;
  } finally {
    await admin.disconnect();
  }
}

async function topicMinIsr(topic: string): Promise<string | undefined> {
  const admin = testKafka(cluster.brokers).admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }] });
    return resources[0].configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue;
  } finally {
    await admin.disconnect();
  }
}

test('3 brokers, RF 3, min.insync 2: the partition leader killed under load', async () => {
  let topic = '';
  const row = await runFaultCase({
    name: '3-broker cluster: partition leader SIGKILLed under load',
    rate: 300,
    brokers: cluster.brokers,
    settings: { kafka_replication_factor: 3, buffer_max_records: 5_000 },
    inject: async (env) => {
      topic = env.config.kafka_topic;
      const victim = await leaderOfBtc(env);
      await cluster.killNode(victim, 'SIGKILL');
      await sleep(15_000); // past the broker session timeout: a new leader is elected, writes go on
      await cluster.startNode(victim);
    },
    recoveryTimeoutMs: 90_000,
  });
  rows.push(row);
  expect(await topicMinIsr(topic)).toBe('2');
}, 300_000);
