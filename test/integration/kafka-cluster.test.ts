import { Admin, Kafka, logLevel, LogEntry, Producer } from 'kafkajs';
import { KafkaCluster, startKafkaCluster } from '../../ops/infra/kafka-cluster';
import { producerQuotaOf, setProducerQuota } from '../../ops/infra/kafka-quota';
import { eventually } from '../helpers/metrics';
import { uniqueName } from '../helpers/names';
import { sleep } from '../helpers/ws-client';

// Real processes only: a 3-node KRaft cluster of its own (ports 19192-19197), apart from the
// shared single broker on 9092, which these tests never touch.

const partitions = 3;
const batchSize = 20;

let cluster: KafkaCluster;

function client(clientId: string, extra: Partial<ConstructorParameters<typeof Kafka>[0]> = {}): Kafka {
  return new Kafka({
    brokers: cluster.brokers,
    clientId,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    // Long enough to ride out a dead leader: the controller fences a silent broker only after
    // broker.session.timeout.ms (9 s) and only then elects a new leader.
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 3_000 },
    ...extra,
  });
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${Math.round(bytes / 2 ** 20)} MB`;
}

function report(title: string): void {
  const s = cluster.stats();
  const nodes = s.nodes.map((n) => `node ${n.id} pid ${n.pid ?? '-'} rss ${mb(n.rssBytes)}`).join(', ');
  process.stdout.write(`\n${title}: cluster started in ${(s.startupMs / 1000).toFixed(1)} s; ${nodes}\n`);
}

beforeAll(async () => {
  cluster = await startKafkaCluster();
  report('3-node KRaft cluster');
}, 180_000);

afterAll(async () => {
  await cluster?.stop({ deleteData: true });
}, 60_000);

/**
 * Writes sequence numbers in transactions of `batchSize`, as long as it is told to. A batch
 * whose transaction was aborted is definitely not in the topic and is sent again; a batch whose
 * fate is unknown (the commit failed and so did the abort) is set aside as uncertain and the
 * producer is replaced, which fences the old one: such a batch may appear at most once.
 */
class SequenceWriter {
  readonly acked: { seq: number; at: number }[] = [];
  readonly uncertain = new Set<number>();
  readonly errors: string[] = [];
  private next = 0;
  private stopping = false;
  private done?: Promise<void>;
  private producer?: Producer;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly transactionalId: string,
  ) {}

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }

  ackedSince(at: number): number {
    return this.acked.filter((a) => a.at > at).length;
  }

  firstAckAfter(at: number): number | undefined {
    return this.acked.find((a) => a.at > at)?.at;
  }

  private async connect(): Promise<Producer> {
    const producer = this.kafka.producer({ transactionalId: this.transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return producer;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const seqs = Array.from({ length: batchSize }, (_, i) => this.next + i);
      try {
        this.producer ??= await this.connect();
        await this.commit(this.producer, seqs);
        const at = Date.now();
        for (const seq of seqs) this.acked.push({ seq, at });
        this.next += batchSize;
      } catch (err) {
        this.errors.push((err as Error).message);
        await sleep(200);
      }
    }
    await this.producer?.disconnect();
  }

  private async commit(producer: Producer, seqs: number[]): Promise<void> {
    const tx = await producer.transaction();
    try {
      await tx.sendBatch({
        topicMessages: [{ topic: this.topic, messages: seqs.map((seq) => ({ key: `k${seq % 7}`, value: String(seq) })) }],
      });
      await tx.commit();
    } catch (err) {
      const aborted = await tx.abort().then(
        () => true,
        () => false,
      );
      if (!aborted) {
        for (const seq of seqs) this.uncertain.add(seq);
        this.next += batchSize;
        this.producer = undefined;
        await producer.disconnect().catch(() => undefined);
      }
      throw err;
    }
  }
}

/**
 * Reads every committed record (read_committed, the kafkajs default) until an end marker has
 * come through on every partition: with markers written last, nothing written before is unread.
 */
async function readCommitted(kafka: Kafka, topic: string): Promise<number[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('cluster-reader'), maxWaitTimeInMs: 200, readUncommitted: false });
  const seqs: number[] = [];
  const ended = new Set<number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const value = message.value?.toString() ?? '';
        if (value === 'end') ended.add(partition);
        else seqs.push(Number(value));
      },
    });
    await eventually(() => ended.size === partitions, 60_000, 'the end marker on every partition');
  } finally {
    await consumer.disconnect();
  }
  return seqs;
}

async function inSync(admin: Admin, topic: string, partition: number, node: number): Promise<boolean> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.find((p) => p.partitionId === partition)?.isr.includes(node) ?? false;
}

async function writeEndMarkers(kafka: Kafka, topic: string): Promise<void> {
  const producer = kafka.producer({ transactionalId: uniqueName('end-marker'), idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const tx = await producer.transaction();
  await tx.send({ topic, messages: Array.from({ length: partitions }, (_, partition) => ({ partition, value: 'end' })) });
  await tx.commit();
  await producer.disconnect();
}

test('a transactional writer loses and duplicates nothing when the leader of partition 0 is killed and restarted', async () => {
  const topic = uniqueName('cluster-fault');
  const kafka = client(uniqueName('cluster-test'));
  const admin = kafka.admin();
  const writer = new SequenceWriter(kafka, topic, uniqueName('cluster-writer'));
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      waitForLeaders: true,
    });
    writer.start();
    await eventually(() => writer.acked.length >= 10 * batchSize, 60_000, 'writes before the kill');

    const victim = await cluster.leaderOf(admin, topic, 0);
    expect(victim).toBeDefined();
    const killedAt = Date.now();
    await cluster.killNode(victim!);
    const ackedAtKill = writer.acked.length;
    await eventually(() => writer.ackedSince(killedAt) >= 10 * batchSize, 90_000, 'writes to resume after the kill');
    const newLeader = await cluster.leaderOf(admin, topic, 0);

    await cluster.startNode(victim!);
    const restartedAt = Date.now();
    // Restarted on its own data, it catches up as a follower and is counted in sync again.
    await eventually(() => inSync(admin, topic, 0, victim!), 90_000, `node ${victim} back in the ISR of partition 0`);
    await eventually(() => writer.ackedSince(restartedAt) >= 10 * batchSize, 60_000, 'writes after the restart');
    await writer.stop();
    await writeEndMarkers(kafka, topic);

    const seqs = await readCommitted(client(uniqueName('cluster-reader')), topic);
    const counts = new Map<number, number>();
    for (const seq of seqs) counts.set(seq, (counts.get(seq) ?? 0) + 1);
    const missing = writer.acked.filter((a) => counts.get(a.seq) !== 1).map((a) => a.seq);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([seq]) => seq);
    const acked = new Set(writer.acked.map((a) => a.seq));
    const unexpected = [...counts.keys()].filter((seq) => !acked.has(seq) && !writer.uncertain.has(seq));
    const stallMs = (writer.firstAckAfter(killedAt) ?? killedAt) - killedAt;
    process.stdout.write(
      `killed node ${victim} (leader of ${topic}/0), new leader ${newLeader}; commits stalled ${stallMs} ms; acked ${ackedAtKill} before the kill, ` +
        `${writer.acked.length} in all; ${writer.uncertain.size} uncertain; ${writer.errors.length} failed transactions` +
        `${writer.errors.length ? ` (first: ${writer.errors[0]})` : ''}\n`,
    );
    report('after the fault');

    expect(newLeader).toBeDefined();
    expect(newLeader).not.toBe(victim);
    expect(writer.ackedSince(killedAt)).toBeGreaterThan(0);
    expect(missing).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(unexpected).toEqual([]);
  } finally {
    await writer.stop();
    await admin.disconnect();
  }
}, 300_000);

test('a producer quota makes the brokers throttle that client id, and only while it is set', async () => {
  const clientId = uniqueName('slow-producer');
  const bytesPerSecond = 64 * 1024;
  await setProducerQuota(cluster.brokers, clientId, bytesPerSecond);
  expect(await producerQuotaOf(cluster.brokers, clientId)).toBe(bytesPerSecond);

  // kafkajs does not hand a produce response's throttle_time_ms to the caller; its debug log
  // of each response does, verbatim from the broker.
  const throttles: number[] = [];
  const logCreator = () => (entry: LogEntry) => {
    const data = (entry.log as { data?: { clientSideThrottleTime?: number } }).data;
    if (data?.clientSideThrottleTime) throttles.push(data.clientSideThrottleTime);
  };
  const kafka = client(clientId, { logLevel: logLevel.DEBUG, logCreator });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const topic = uniqueName('cluster-quota');
  await admin.connect();
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    const value = Buffer.alloc(32 * 1024, 'q');
    // The broker measures the rate over an 11 s window, so about 11 s worth passes before the first throttle.
    let sent = 0;
    while (throttles.length === 0 && sent < 40 * bytesPerSecond) {
      await producer.send({ topic, acks: -1, messages: [{ value }] });
      sent += value.length;
    }
    expect(throttles.length).toBeGreaterThan(0);

    const throttledFrom = Date.now();
    let throttledBytes = 0;
    while (throttledBytes < 2 * bytesPerSecond) {
      await producer.send({ topic, acks: -1, messages: [{ value }] });
      throttledBytes += value.length;
    }
    const rate = throttledBytes / ((Date.now() - throttledFrom) / 1000);
    process.stdout.write(
      `quota ${bytesPerSecond} B/s: first throttle after ${sent} bytes; then ${Math.round(rate)} B/s; ` +
        `${throttles.length} throttled responses, ${throttles.reduce((a, b) => a + b, 0)} ms in all\n`,
    );
    // Loose and one-sided: a busy host only makes this slower, never faster.
    expect(rate).toBeLessThan(3 * bytesPerSecond);

    await setProducerQuota(cluster.brokers, clientId, undefined);
    expect(await producerQuotaOf(cluster.brokers, clientId)).toBeUndefined();
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}, 180_000);
