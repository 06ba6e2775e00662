import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { cacheDir, projectRoot, stateDir } from '../../lib/paths';
import { withProgress } from './progress';
import { isRecordAlive, logFileFor, ProcessRecord, startDetached } from './process-control';
import { InfraError, tcpOpen, waitUntil } from './readiness';
import { runCommand } from './run-command';

export interface KafkaOptions {
  host: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  heapMb: number;
}

export const kafkaDefaults: KafkaOptions = {
  host: '127.0.0.1',
  port: 9092,
  controllerPort: 9093,
  dataDir: join(stateDir, 'kafka', 'data'),
  heapMb: 512,
};

/** One combined broker + controller of a KRaft quorum; its config files live next to `dataDir`. */
export interface KraftNode {
  nodeId: number;
  host: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  /** host:port of every controller in the quorum, this node's included. */
  quorum: string[];
  /** Copies of each partition, and how many must have a write before it is acknowledged. */
  replicationFactor: number;
  minInsyncReplicas: number;
  /** Broker settings that win over the ones derived above. */
  overrides?: Record<string, string | number>;
}

export interface KafkaJvm {
  heapMb: number;
  log4jFile: string;
  extraFlags?: string[];
}

const libDir = join(cacheDir, 'kafka', 'lib');
const pomFile = join(projectRoot, 'ops', 'infra', 'kafka', 'pom.xml');

/** Topics are created by the project, never implicitly. */
export function kraftProperties(n: KraftNode): string {
  const listeners = `PLAINTEXT://${n.host}:${n.port},CONTROLLER://${n.host}:${n.controllerPort}`;
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': n.nodeId,
    'controller.quorum.bootstrap.servers': n.quorum.join(','),
    listeners,
    // Controllers advertise their endpoint too: a dynamic (KIP-853) quorum finds its voters through it.
    'advertised.listeners': listeners,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': n.dataDir,
    'auto.create.topics.enable': 'false',
    'default.replication.factor': n.replicationFactor,
    'min.insync.replicas': n.minInsyncReplicas,
    'num.partitions': 1,
    'offsets.topic.replication.factor': n.replicationFactor,
    // Test-speed: one partition instead of 50 for each internal topic.
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': n.replicationFactor,
    'transaction.state.log.min.isr': n.minInsyncReplicas,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': n.replicationFactor,
    'share.coordinator.state.topic.min.isr': n.minInsyncReplicas,
    // A consumer that reads back a topic should not wait 3 s for a rebalance nobody else joins.
    'group.initial.rebalance.delay.ms': 0,
    ...n.overrides,
  };
  return Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')
    .concat('\n');
}

function singleNode(o: KafkaOptions): KraftNode {
  return {
    nodeId: 1,
    host: o.host,
    port: o.port,
    controllerPort: o.controllerPort,
    dataDir: o.dataDir,
    quorum: [`${o.host}:${o.controllerPort}`],
    replicationFactor: 1,
    minInsyncReplicas: 1,
  };
}

/** The single-node broker's settings (a quorum of one, every copy count 1). */
export function brokerProperties(o: KafkaOptions): string {
  return kraftProperties(singleNode(o));
}

/** log4j2 config: warnings only, plus the line that says the server started. */
export function log4jProperties(): string {
  return [
    'appender.console.type=Console',
    'appender.console.name=STDOUT',
    'appender.console.layout.type=PatternLayout',
    'appender.console.layout.pattern=[%d] %p %m (%c)%n',
    'rootLogger.level=WARN',
    'rootLogger.appenderRef.stdout.ref=STDOUT',
    'logger.raft.name=kafka.server.KafkaRaftServer',
    'logger.raft.level=INFO',
    '',
  ].join('\n');
}

export async function installKafka(): Promise<void> {
  if (existsSync(join(libDir, '.complete'))) return;
  mkdirSync(libDir, { recursive: true });
  const fetchJars = runCommand(
    'kafka',
    'mvn',
    ['-B', '-q', '-f', pomFile, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libDir}`],
    { logFile: logFileFor('kafka-install') },
  );
  await withProgress('fetching Kafka broker jars from Maven Central', 30, fetchJars);
  writeFileSync(join(libDir, '.complete'), new Date().toISOString());
}

/** `java` arguments for any class on the broker classpath: the broker, its storage tool, its admin tools. */
export function kafkaJavaArgs(jvm: KafkaJvm, mainClass: string, args: string[]): string[] {
  return [
    `-Xms${Math.min(256, jvm.heapMb)}m`,
    `-Xmx${jvm.heapMb}m`,
    '-XX:+UseG1GC',
    ...(jvm.extraFlags ?? []),
    `-Dlog4j2.configurationFile=${jvm.log4jFile}`,
    '-cp',
    `${libDir}/*`,
    mainClass,
    ...args,
  ];
}

/**
 * A random cluster or directory id as Kafka's `Uuid` prints it. Like `Uuid.randomUuid()` it never
 * starts with '-', which the storage tool's argument parser would take for an option.
 */
export function kafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Writes the node's server.properties and log4j2.properties beside its data dir; returns the JVM settings to run it. */
export function writeNodeFiles(n: KraftNode, heapMb: number, extraFlags?: string[]): { config: string; jvm: KafkaJvm } {
  const home = dirname(n.dataDir);
  mkdirSync(n.dataDir, { recursive: true });
  const config = join(home, 'server.properties');
  const log4jFile = join(home, 'log4j2.properties');
  writeFileSync(config, kraftProperties(n));
  writeFileSync(log4jFile, log4jProperties());
  return { config, jvm: { heapMb, log4jFile, extraFlags } };
}

export function isFormatted(dataDir: string): boolean {
  return existsSync(join(dataDir, 'meta.properties'));
}

/** `quorumFlags` says how the quorum begins: `--standalone`, or `--initial-controllers …` shared by every voter. */
export async function formatStorage(part: string, jvm: KafkaJvm, config: string, clusterId: string, quorumFlags: string[]): Promise<void> {
  await runCommand(part, 'java', kafkaJavaArgs(jvm, 'kafka.tools.StorageTool', ['format', ...quorumFlags, '-t', clusterId, '-c', config]), {
    logFile: logFileFor(`${part}-format`),
  });
}

/** The broker takes requests: it is up, has caught up with the metadata log and serves it. */
export async function brokerAnswers(host: string, port: number): Promise<boolean> {
  if (!(await tcpOpen(host, port))) return false;
  const admin = new Kafka({
    brokers: [`${host}:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function kafkaReady(o: KafkaOptions): Promise<boolean> {
  return brokerAnswers(o.host, o.port);
}

export async function startKafka(o: KafkaOptions): Promise<ProcessRecord> {
  const { config, jvm } = writeNodeFiles(singleNode(o), o.heapMb);
  if (!isFormatted(o.dataDir)) await formatStorage('kafka', jvm, config, kafkaUuid(), ['--standalone']);
  const record = startDetached('kafka', 'java', kafkaJavaArgs(jvm, 'kafka.Kafka', [config]));
  await waitUntil('kafka', () => kafkaReady(o), {
    timeoutMs: 90_000,
    intervalMs: 500,
    alive: () => isRecordAlive(record),
    logFile: record.logFile,
  });
  return record;
}

export function assertJava(): void {
  if (!process.env.PATH?.split(':').some((dir) => existsSync(join(dir, 'java')))) {
    throw new InfraError('kafka', 'java is not on PATH (Kafka 4 needs Java 17 or newer)');
  }
}
