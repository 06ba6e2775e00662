import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { cacheDir, projectRoot, stateDir } from '../../lib/paths';
import { withProgress } from '../../lib/progress';
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

const libDir = join(cacheDir, 'kafka', 'lib');
const pomFile = join(projectRoot, 'ops', 'infra', 'kafka', 'pom.xml');

/** A single-node KRaft broker + controller. Topics are created by the project, never implicitly. */
export function brokerProperties(o: KafkaOptions): string {
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': `${o.host}:${o.controllerPort}`,
    listeners: `PLAINTEXT://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': o.dataDir,
    'auto.create.topics.enable': 'false',
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // A consumer that reads back a topic should not wait 3 s for a rebalance nobody else joins.
    'group.initial.rebalance.delay.ms': 0,
  };
  return Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')
    .concat('\n');
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

function javaArgs(o: KafkaOptions, mainClass: string, args: string[]): string[] {
  return [
    `-Xms${Math.min(256, o.heapMb)}m`,
    `-Xmx${o.heapMb}m`,
    '-XX:+UseG1GC',
    `-Dlog4j2.configurationFile=${join(o.dataDir, '..', 'log4j2.properties')}`,
    '-cp',
    `${libDir}/*`,
    mainClass,
    ...args,
  ];
}

export async function kafkaReady(o: KafkaOptions): Promise<boolean> {
  if (!(await tcpOpen(o.host, o.port))) return false;
  const admin = new Kafka({
    brokers: [`${o.host}:${o.port}`],
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

export async function startKafka(o: KafkaOptions): Promise<ProcessRecord> {
  const home = join(o.dataDir, '..');
  mkdirSync(o.dataDir, { recursive: true });
  const config = join(home, 'server.properties');
  writeFileSync(config, brokerProperties(o));
  writeFileSync(join(home, 'log4j2.properties'), log4jProperties());
  if (!existsSync(join(o.dataDir, 'meta.properties'))) {
    const clusterId = randomBytes(16).toString('base64url');
    await runCommand('kafka', 'java', javaArgs(o, 'kafka.tools.StorageTool', ['format', '--standalone', '-t', clusterId, '-c', config]), {
      logFile: logFileFor('kafka-format'),
    });
  }
  const record = startDetached('kafka', 'java', javaArgs(o, 'kafka.Kafka', [config]));
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
