import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kafkaJavaArgs, log4jProperties } from '../../ops/infra/kafka';
import { KafkaCluster, startKafkaCluster } from '../../ops/infra/kafka-cluster';
import { TestCa } from './test-pki';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/**
 * A broker of the test's own (127.0.0.1, its own ports and data directory), with the listeners
 * production clusters have: SASL_SSL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), SSL requiring a
 * client certificate, and an SSL listener whose certificate names another host. PLAINTEXT stays
 * for the broker's own readiness check and between its own components.
 */
export interface SecureKafka {
  cluster: KafkaCluster;
  plaintext: string;
  saslSsl: string;
  mtls: string;
  wrongHost: string;
  users: Record<SaslMechanism, { username: string; password: string }>;
  /** Changes a SCRAM user's password on the running broker (Kafka's ConfigCommand over PLAINTEXT): credentials revoked under a running worker. */
  setScramPassword(mechanism: 'scram-sha-256' | 'scram-sha-512', password: string): Promise<void>;
  stop(): Promise<void>;
}

/** Java properties read `\n` inside a value as a newline: how a PEM fits on one line. */
const oneLine = (pem: string) => pem.trim().replace(/\r?\n/g, '\\n');

export async function startSecureKafka(dir: string, ca: TestCa, firstPort: number): Promise<SecureKafka> {
  const host = '127.0.0.1';
  const [plain, saslSsl, mtls, wrongHost, controller] = [0, 1, 2, 3, 4].map((i) => firstPort + i);
  const server = ca.issue('broker.k2.test', { names: ['127.0.0.1', 'broker.k2.test'] });
  const misnamed = ca.issue('elsewhere.k2.test', { names: ['elsewhere.k2.test'] });
  const users: SecureKafka['users'] = {
    plain: { username: 'k2plain', password: `plain-${randomBytes(12).toString('hex')}` },
    'scram-sha-256': { username: 'k2scram256', password: `s256-${randomBytes(12).toString('hex')}` },
    'scram-sha-512': { username: 'k2scram512', password: `s512-${randomBytes(12).toString('hex')}` },
  };
  const listeners = `PLAINTEXT://${host}:${plain},SASL_SSL://${host}:${saslSsl},SSL://${host}:${mtls},WRONGHOST://${host}:${wrongHost},CONTROLLER://${host}:${controller}`;
  const cluster = await startKafkaCluster({
    name: 'kafka-secure-test',
    size: 1,
    firstBrokerPort: plain,
    firstControllerPort: controller,
    dir: join(dir, 'kafka'),
    heapMb: 256,
    replicationFactor: 1,
    minInsyncReplicas: 1,
    readyTimeoutMs: 90_000,
    // KRaft takes SCRAM credentials when the storage is formatted, before the broker runs.
    formatFlags: (['scram-sha-256', 'scram-sha-512'] as const).flatMap((m) => [
      '--add-scram',
      `${m.toUpperCase()}=[name=${users[m].username},password=${users[m].password}]`,
    ]),
    overrides: {
      listeners,
      'advertised.listeners': listeners,
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL,WRONGHOST:SSL',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${users.plain.username}="${users.plain.password}";`,
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.certificate.chain': oneLine(server.cert),
      'ssl.keystore.key': oneLine(server.key),
      'listener.name.ssl.ssl.client.auth': 'required',
      'listener.name.ssl.ssl.truststore.type': 'PEM',
      'listener.name.ssl.ssl.truststore.certificates': oneLine(ca.pem),
      'listener.name.wronghost.ssl.keystore.type': 'PEM',
      'listener.name.wronghost.ssl.keystore.certificate.chain': oneLine(misnamed.cert),
      'listener.name.wronghost.ssl.keystore.key': oneLine(misnamed.key),
    },
  });
  const at = (port: number) => `${host}:${port}`;
  return {
    cluster,
    plaintext: at(plain),
    saslSsl: at(saslSsl),
    mtls: at(mtls),
    wrongHost: at(wrongHost),
    users,
    async setScramPassword(mechanism, password) {
      const log4jFile = join(dir, 'kafka', 'tools-log4j2.properties');
      writeFileSync(log4jFile, log4jProperties());
      const args = ['--bootstrap-server', at(plain), '--alter', '--entity-type', 'users', '--entity-name', users[mechanism].username];
      await promisify(execFile)(
        'java',
        kafkaJavaArgs({ heapMb: 128, log4jFile, extraFlags: ['-XX:TieredStopAtLevel=1'] }, 'kafka.admin.ConfigCommand', [...args, '--add-config', `${mechanism.toUpperCase()}=[password=${password}]`]),
        { timeout: 60_000 },
      );
    },
    stop: () => cluster.stop({ deleteData: true }),
  };
}
