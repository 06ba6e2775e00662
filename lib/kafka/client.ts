import { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, SASLOptions } from 'kafkajs';
import { Config } from '../config';
import { explainConnectionError, kafkaSettingsFor } from '../connection-errors';
import { createLogger } from '../logger';
import { readPemSetting, withRootCertificates } from '../pem-file';
import { redactSecrets } from '../secret';
import { logCreator } from './kafka-log';

const log = createLogger('kafkajs');

/** The settings every Kafka client of the project is made from: where, and how it proves who it is. */
export type KafkaSettings = Pick<Config, 'kafka_brokers'> &
  Partial<
    Pick<Config, 'kafka_client_id' | 'kafka_ssl' | 'kafka_ssl_ca' | 'kafka_ssl_cert' | 'kafka_ssl_key' | 'kafka_sasl_mechanism' | 'kafka_sasl_username' | 'kafka_sasl_password'>
  >;

export interface KafkaClientOptions {
  /** Defaults to kafka_client_id; tools name themselves (`k2-audit`). */
  clientId?: string;
  /** kafkajs retries connection errors itself; callers that loop on their own pass fewer. */
  retries?: number;
  quiet?: boolean;
}

/**
 * TLS and SASL options for kafkajs. Certificates are always verified, host names included (Node's
 * checkServerIdentity; kafkajs sends SNI for names). PEM files are read here, so a missing one
 * names its setting.
 */
export function kafkaSecurity(s: KafkaSettings): { ssl?: ConnectionOptions; sasl?: SASLOptions } {
  const out: { ssl?: ConnectionOptions; sasl?: SASLOptions } = {};
  if (s.kafka_ssl || s.kafka_ssl_ca || s.kafka_ssl_cert || s.kafka_ssl_key) {
    const ca = withRootCertificates(readPemSetting('kafka_ssl_ca', s.kafka_ssl_ca));
    const cert = readPemSetting('kafka_ssl_cert', s.kafka_ssl_cert);
    const key = readPemSetting('kafka_ssl_key', s.kafka_ssl_key);
    out.ssl = { rejectUnauthorized: true, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  }
  if (s.kafka_sasl_mechanism && s.kafka_sasl_username && s.kafka_sasl_password) {
    out.sasl = { mechanism: s.kafka_sasl_mechanism, username: s.kafka_sasl_username, password: s.kafka_sasl_password.reveal() } as SASLOptions;
  }
  return out;
}

let warnedCleartext = false;

export function createKafka(s: KafkaSettings, o: KafkaClientOptions = {}): Kafka {
  const security = kafkaSecurity(s);
  if (security.sasl && !security.ssl && !warnedCleartext) {
    warnedCleartext = true;
    log.warn(
      { event: 'kafka.sasl-without-tls', settings: ['kafka_sasl_mechanism', 'kafka_ssl'] },
      'Kafka SASL without TLS (kafka_ssl=false): the credentials and every record cross the network unencrypted',
    );
  }
  return new Kafka({
    clientId: o.clientId ?? s.kafka_client_id ?? 'k2-stream',
    brokers: s.kafka_brokers,
    ...security,
    logLevel: o.quiet ? logLevel.NOTHING : logLevel.WARN,
    logCreator,
    connectionTimeout: 3_000,
    retry: { retries: o.retries ?? 5, initialRetryTime: 300, maxRetryTime: 5_000 },
  });
}

/**
 * Connects once, without retries: a refused certificate or password becomes a
 * ConnectionSetupError naming the settings; anything else (the cluster down) is thrown as it is.
 */
export async function checkKafka(s: KafkaSettings, timeoutMs = 5_000): Promise<void> {
  const admin = createKafka(s, { clientId: `${s.kafka_client_id ?? 'k2-stream'}-check`, retries: 0, quiet: true }).admin();
  const timeout = new Promise<never>((_, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer from ${s.kafka_brokers.join(',')} within ${timeoutMs} ms`)), timeoutMs);
    t.unref();
  });
  try {
    await Promise.race([
      (async () => {
        await admin.connect();
        await admin.describeCluster();
      })(),
      timeout,
    ]);
  } catch (err) {
    throw explainKafkaError(s, err);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The clear error for a Kafka failure a setting causes; otherwise the error with any secret scrubbed from its message. */
export function explainKafkaError(s: KafkaSettings, err: unknown): Error {
  const explained = explainConnectionError('kafka', err, kafkaSettingsFor, [s.kafka_sasl_password]);
  if (explained) return explained;
  const e = err instanceof Error ? err : new Error(String(err));
  e.message = redactSecrets(e.message, [s.kafka_sasl_password]);
  return e;
}
