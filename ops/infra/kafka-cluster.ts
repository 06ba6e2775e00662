import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { createLogger } from '../../lib/logger';
import { stateDir } from '../../lib/paths';
import {
  assertJava,
  brokerAnswers,
  formatStorage,
  installKafka,
  isFormatted,
  KafkaJvm,
  kafkaJavaArgs,
  kafkaUuid,
  KraftNode,
  writeNodeFiles,
} from './kafka';
import { isRecordAlive, ProcessRecord, readRecord, startDetached, stopRecorded } from './process-control';
import { InfraError, tcpOpen, waitUntil } from './readiness';

const log = createLogger('kafka-cluster');

// The log cleaner takes its dedupe buffer from the heap at start-up: 128 MB by default, half of a
// small node's heap, and most of its live set. A test cluster compacts only the internal topics.
const smallHeapSettings = { 'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024 };

export interface KafkaClusterOptions {
  host: string;
  size: number;
  /** Node n (1-based) listens on firstBrokerPort + n - 1 and firstControllerPort + n - 1. */
  firstBrokerPort: number;
  firstControllerPort: number;
  /** Node n keeps its config in <dir>/node-<n> and its data in <dir>/node-<n>/data. */
  dir: string;
  heapMb: number;
  /** JVM flags added to every node's command line. */
  jvmFlags: string[];
  replicationFactor: number;
  minInsyncReplicas: number;
  /** Wipe every node's directory before starting, so each run starts from an empty cluster. */
  fresh: boolean;
  overrides?: Record<string, string | number>;
  readyTimeoutMs: number;
  /** Process records and logs are `<name>-<id>`: two clusters of different names never stop each other's nodes. */
  name: string;
  /** Added to `kafka-storage format` (e.g. `--add-scram`: KRaft takes SCRAM users at format time). */
  formatFlags?: string[];
}

export const kafkaClusterDefaults: KafkaClusterOptions = {
  host: '127.0.0.1',
  size: 3,
  firstBrokerPort: 19192,
  firstControllerPort: 19195,
  dir: join(stateDir, 'kafka-cluster'),
  // 128 MB already ran a 60 MB burst and a node kill with no full GC; 192 keeps a margin. The
  // heap cap barely moves RSS: ~170 MB of each node is metaspace, code, threads and mapped indexes.
  heapMb: 192,
  // C1 only: on a 2-core host three JVMs start in about half the time and hold ~25 MB less each,
  // with the same produce throughput in the tests.
  jvmFlags: ['-XX:TieredStopAtLevel=1'],
  replicationFactor: 3,
  minInsyncReplicas: 2,
  fresh: true,
  readyTimeoutMs: 120_000,
  name: 'kafka-cluster',
};

export interface KafkaClusterNode {
  id: number;
  /** The name of its process record (and log file): kafka-cluster-<id>. */
  name: string;
  pid: number | undefined;
  alive: boolean;
  brokerPort: number;
  controllerPort: number;
  dataDir: string;
}

export interface KafkaClusterStats {
  /** From the call to start it until every broker was registered, unfenced and answering. */
  startupMs: number;
  nodes: { id: number; pid: number | undefined; rssBytes: number | undefined }[];
}

export interface KafkaCluster {
  brokers: string[];
  readonly nodes: KafkaClusterNode[];
  /** Kills the node's JVM (SIGKILL by default: a crash, no controlled shutdown) and waits until it is gone. */
  killNode(id: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped node again on its own data and waits until the cluster counts it as a live broker. */
  startNode(id: number): Promise<void>;
  /** The node id leading a partition, asked fresh from a broker (`undefined` while no leader is elected). */
  leaderOf(via: Admin | string[], topic: string, partition: number): Promise<number | undefined>;
  stats(): KafkaClusterStats;
  /** Stops every node this cluster started; deletes its own directory only when asked (then without a controlled shutdown). */
  stop(options?: { deleteData?: boolean }): Promise<void>;
}

/** Resident set size from /proc: what the JVM really holds, heap and everything else. */
function rssOf(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.replace(/\D+/g, '')) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function waitForExit(record: ProcessRecord, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isRecordAlive(record)) {
    if (Date.now() > deadline) throw new InfraError(record.name, `pid ${record.pid} still running ${timeoutMs / 1000} s after the signal`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A few retries: each one tries another seed broker, so a dead node in the list is passed over.
function quietAdmin(brokers: string[]): Admin {
  return new Kafka({ brokers, logLevel: logLevel.NOTHING, connectionTimeout: 2_000, retry: { retries: 3, initialRetryTime: 100 } }).admin();
}

async function withAdmin<T>(via: Admin | string[], use: (admin: Admin) => Promise<T>): Promise<T> {
  if (!Array.isArray(via)) return use(via);
  const admin = quietAdmin(via);
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The broker ids the controller counts as live (registered and unfenced), as one broker reports them. */
async function liveBrokerIds(broker: string): Promise<number[]> {
  try {
    return await withAdmin([broker], async (admin) => (await admin.describeCluster()).brokers.map((b) => b.nodeId));
  } catch {
    return [];
  }
}

class LocalKafkaCluster implements KafkaCluster {
  readonly brokers: string[];
  private readonly kraftNodes: KraftNode[];
  private readonly jvms = new Map<number, { config: string; jvm: KafkaJvm }>();
  private readonly records = new Map<number, ProcessRecord>();
  private startupMs = 0;

  constructor(private readonly o: KafkaClusterOptions) {
    this.kraftNodes = clusterNodes(o);
    this.brokers = this.kraftNodes.map((n) => `${n.host}:${n.port}`);
  }

  get nodes(): KafkaClusterNode[] {
    return this.kraftNodes.map((n) => {
      const record = this.records.get(n.nodeId);
      return {
        id: n.nodeId,
        name: this.nodeName(n.nodeId),
        pid: record?.pid,
        alive: record ? isRecordAlive(record) : false,
        brokerPort: n.port,
        controllerPort: n.controllerPort,
        dataDir: n.dataDir,
      };
    });
  }

  async start(): Promise<void> {
    const started = Date.now();
    await this.stopLeftovers();
    await this.assertPortsFree();
    if (this.o.fresh) rmSync(this.o.dir, { recursive: true, force: true });
    for (const n of this.kraftNodes) this.jvms.set(n.nodeId, writeNodeFiles(n, this.o.heapMb, this.o.jvmFlags));
    await this.format();
    for (const n of this.kraftNodes) this.launch(n);
    // Every node at once: no broker can register until a majority of controllers has elected a leader.
    await Promise.all(this.kraftNodes.map((n) => this.waitUntilLive(n, this.o.size)));
    this.startupMs = Date.now() - started;
    log.info({ event: 'kafka-cluster.started', brokers: this.brokers, startupMs: this.startupMs, pids: this.nodes.map((n) => n.pid) });
  }

  async killNode(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.node(id);
    const record = this.records.get(id);
    if (!record || !isRecordAlive(record)) throw new InfraError(this.nodeName(id), 'not running');
    process.kill(record.pid, signal);
    await waitForExit(record);
    log.info({ event: 'kafka-cluster.node-killed', node: id, servicePid: record.pid, signal });
  }

  async startNode(id: number): Promise<void> {
    const n = this.node(id);
    const record = this.records.get(id);
    if (record && isRecordAlive(record)) throw new InfraError(this.nodeName(id), `already running (pid ${record.pid})`);
    const started = Date.now();
    this.launch(n);
    await this.waitUntilLive(n);
    log.info({ event: 'kafka-cluster.node-started', node: id, servicePid: this.records.get(id)?.pid, startupMs: Date.now() - started });
  }

  async leaderOf(via: Admin | string[], topic: string, partition: number): Promise<number | undefined> {
    const { topics } = await withAdmin(via, (admin) => admin.fetchTopicMetadata({ topics: [topic] }));
    const leader = topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
    return leader === undefined || leader < 0 ? undefined : leader;
  }

  stats(): KafkaClusterStats {
    return {
      startupMs: this.startupMs,
      nodes: this.nodes.map((n) => ({ id: n.id, pid: n.pid, rssBytes: n.alive && n.pid ? rssOf(n.pid) : undefined })),
    };
  }

  async stop(options: { deleteData?: boolean } = {}): Promise<void> {
    // All at once: stopped one by one, the last nodes would wait out a controlled shutdown
    // that a quorum without a majority can no longer acknowledge. When the data goes too, the
    // controlled shutdown (~5 s) protects nothing: the nodes are killed at once.
    await Promise.all(this.kraftNodes.map((n) => stopRecorded(this.nodeName(n.nodeId), options.deleteData ? 0 : 10_000)));
    this.records.clear();
    if (options.deleteData) rmSync(this.o.dir, { recursive: true, force: true });
    log.info({ event: 'kafka-cluster.stopped', brokers: this.brokers, deletedData: options.deleteData === true });
  }

  private nodeName(id: number): string {
    return `${this.o.name}-${id}`;
  }

  private node(id: number): KraftNode {
    const n = this.kraftNodes.find((k) => k.nodeId === id);
    if (!n) throw new InfraError('kafka-cluster', `no node ${id} (nodes are 1..${this.o.size})`);
    return n;
  }

  /**
   * A dynamic (KIP-853) quorum with every node a voter: each is formatted with the same
   * --initial-controllers list, in which each voter names the directory id its own metadata log
   * dir gets. (--standalone would make each node a quorum of one: three clusters, not one.)
   */
  private async format(): Promise<void> {
    const formatted = this.kraftNodes.filter((n) => isFormatted(n.dataDir)).length;
    if (formatted === this.kraftNodes.length) return;
    if (formatted > 0) throw new InfraError('kafka-cluster', `only some nodes in ${this.o.dir} are formatted; start it fresh`);
    const clusterId = kafkaUuid();
    const voters = this.kraftNodes.map((n) => `${n.nodeId}@${n.host}:${n.controllerPort}:${kafkaUuid()}`).join(',');
    await Promise.all(
      this.kraftNodes.map((n) => {
        const { config, jvm } = this.files(n.nodeId);
        return formatStorage(this.nodeName(n.nodeId), jvm, config, clusterId, ['--initial-controllers', voters, ...(this.o.formatFlags ?? [])]);
      }),
    );
  }

  private files(id: number): { config: string; jvm: KafkaJvm } {
    const files = this.jvms.get(id);
    if (!files) throw new InfraError(this.nodeName(id), 'its config was never written');
    return files;
  }

  private launch(n: KraftNode): void {
    const { config, jvm } = this.files(n.nodeId);
    this.records.set(n.nodeId, startDetached(this.nodeName(n.nodeId), 'java', kafkaJavaArgs(jvm, 'kafka.Kafka', [config])));
  }

  /** The node answers on its own port and counts itself among `atLeast` live brokers. */
  private async waitUntilLive(n: KraftNode, atLeast = 1): Promise<void> {
    const record = this.records.get(n.nodeId);
    const self = `${n.host}:${n.port}`;
    await waitUntil(
      this.nodeName(n.nodeId),
      async () => {
        if (!(await brokerAnswers(n.host, n.port))) return false;
        const live = await liveBrokerIds(self);
        return live.includes(n.nodeId) && live.length >= atLeast;
      },
      { timeoutMs: this.o.readyTimeoutMs, intervalMs: 500, alive: () => (record ? isRecordAlive(record) : false), logFile: record?.logFile },
    );
  }

  /**
   * Nodes recorded by an earlier run that never stopped (a killed test process): they are ours,
   * and a fresh start would delete the data under them.
   */
  private async stopLeftovers(): Promise<void> {
    for (const n of this.kraftNodes) {
      const record = readRecord(this.nodeName(n.nodeId));
      if (record && isRecordAlive(record)) {
        log.warn({ event: 'kafka-cluster.leftover-stopped', node: n.nodeId, servicePid: record.pid });
        await stopRecorded(record.name, 5_000);
      }
    }
  }

  private async assertPortsFree(): Promise<void> {
    for (const n of this.kraftNodes) {
      for (const port of [n.port, n.controllerPort]) {
        if (await tcpOpen(n.host, port)) throw new InfraError('kafka-cluster', `${n.host}:${port} is taken by a process the project did not start`);
      }
    }
  }
}

/** Every node of the cluster: ids 1..size, consecutive ports, one directory each, all of them voters. */
export function clusterNodes(o: KafkaClusterOptions): KraftNode[] {
  const ids = Array.from({ length: o.size }, (_, i) => i + 1);
  const quorum = ids.map((id) => `${o.host}:${o.firstControllerPort + id - 1}`);
  return ids.map((id) => ({
    nodeId: id,
    host: o.host,
    port: o.firstBrokerPort + id - 1,
    controllerPort: o.firstControllerPort + id - 1,
    dataDir: join(o.dir, `node-${id}`, 'data'),
    quorum,
    replicationFactor: o.replicationFactor,
    minInsyncReplicas: o.minInsyncReplicas,
    overrides: { ...smallHeapSettings, ...o.overrides },
  }));
}



/** Starts a local KRaft cluster of combined broker + controller nodes and waits until every broker is live. */
export async function startKafkaCluster(options: Partial<KafkaClusterOptions> = {}): Promise<KafkaCluster> {
  assertJava();
  await installKafka();
  const cluster = new LocalKafkaCluster({ ...kafkaClusterDefaults, ...options });
  try {
    await cluster.start();
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    throw err;
  }
  return cluster;
}
