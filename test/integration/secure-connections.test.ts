import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { Partitioners } from 'kafkajs';
import { checkSchemaRegistry } from '../../lib/avro/registry-client';
import { Config, loadConfig, SettingName } from '../../lib/config';
import { configEnv } from '../../lib/config-env';
import { checkKafka, createKafka, KafkaSettings } from '../../lib/kafka/client';
import { connectTemporal, connectTemporalWorker, TemporalSettings } from '../../lib/temporal/connection';
import { registryDefaults, registryUrl } from '../../ops/infra/schema-registry';
import { temporalBinary } from '../../ops/infra/temporal';
import { BinanceSimulator, startSimulator } from '../../simulator/simulator';
import { ChildWorker } from '../helpers/child-worker';
import { readTopic } from '../helpers/kafka';
import { eventually } from '../helpers/metrics';
import { uniqueName } from '../helpers/names';
import { SaslMechanism } from '../helpers/secure-kafka';
import { SecureEnv, startSecureEnv } from '../helpers/secure-env';
import { compareIds, idsBySymbol, reachedTruth } from '../helpers/stream-env';
import { decodeTrade, DecodedTrade } from '../helpers/trade-decoder';

// Production connections against real parts: a SASL_SSL / mTLS broker of the test's own, the
// dev server behind TLS proxies (mTLS; API key), Apicurio behind HTTPS with basic auth.
const FIRST_KAFKA_PORT = 19301;
const k2 = join(__dirname, '../../bin/k2.js');
const exec = promisify(execFile);

let env: SecureEnv;
let sim: BinanceSimulator;
/** Everything any process of this file printed, and what the worker served: no secret may be in it. */
const outputs: string[] = [];
const wrongSecrets = ['wrong-password-31337', 'wrong-api-key-31337', 'wrong-registry-31337', 'revoked-password-31337'];

beforeAll(async () => {
  env = await startSecureEnv(FIRST_KAFKA_PORT);
  sim = await startSimulator({ controlPort: 0, symbols: [{ symbol: 'BTCUSDT', rate: 40 }, { symbol: 'ETHUSDT', rate: 40 }] });
}, 180_000);
afterAll(async () => {
  await sim?.stop();
  await env?.stop();
});

const scram = () => env.kafka.users['scram-sha-256'];

/** The session's settings over SASL_SSL Kafka and the HTTPS registry; secrets from files. */
function baseSettings(topic: string): Partial<Record<SettingName, unknown>> {
  return {
    binance_ws_urls: [sim.urls.ws],
    binance_rest_urls: [sim.urls.rest],
    kafka_topic: topic,
    kafka_dlq_topic: `${topic}.dlq`,
    kafka_partitions: 2,
    task_queue: uniqueName('secure'),
    deployment_name: uniqueName('k2-secure'),
    status_report_interval_seconds: 1,
    kafka_brokers: [env.kafka.saslSsl],
    kafka_ssl_ca: env.ca.file,
    kafka_sasl_mechanism: 'scram-sha-256',
    kafka_sasl_username: scram().username,
    kafka_sasl_password_file: env.secretFile('kafka-password', scram().password),
    schema_registry_url: env.registryUrl,
    schema_registry_ca: env.ca.file,
    schema_registry_username: 'k2',
    schema_registry_password_file: env.secretFile('registry-password', env.secrets.registryPassword),
  };
}

/** Temporal through the mTLS proxy, known by a DNS name only (temporal_tls_server_name). */
function mtlsTemporal(): Partial<Record<SettingName, unknown>> {
  return {
    temporal_address: env.temporalMtls.address,
    temporal_tls_ca: env.ca.file,
    temporal_tls_server_name: env.temporalServerName,
    temporal_tls_cert: env.client.certFile,
    temporal_tls_key: env.client.keyFile,
  };
}

/** Temporal through the API-key proxy, as Temporal Cloud with an API key. */
function apiKeyTemporal(): Partial<Record<SettingName, unknown>> {
  return { temporal_address: env.temporalApiKey.address, temporal_tls_ca: env.ca.file, temporal_api_key_file: env.secretFile('api-key', env.secrets.apiKey) };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Runs the k2 CLI with `config` as its environment; its output joins `outputs`. */
async function k2Run(config: Config, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await exec(process.execPath, [k2, ...args], { env: configEnv(config, { LOG_LEVEL: 'debug', METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', ...extra }), timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
  outputs.push(result.stdout, result.stderr);
  return result;
}

test('a session streams through Temporal (mTLS worker, API-key CLI) into SASL_SSL Kafka with the registry over HTTPS: every id once', async () => {
  const topic = uniqueName('secure.trades');
  const workerConfig = loadConfig(process.env, { ...baseSettings(topic), ...mtlsTemporal() });
  const cliConfig = loadConfig(process.env, { ...baseSettings(topic), ...apiKeyTemporal(), task_queue: workerConfig.task_queue });
  const metricsPort = await freePort();
  const worker = new ChildWorker(workerConfig, { LOG_LEVEL: 'debug', METRICS_PORT: String(metricsPort) }, { capture: true });
  const connection = await connectTemporal(workerConfig);
  try {
    const workflowId = uniqueName('secure-session');
    const started = await k2Run(cliConfig, ['stream', 'start', '--workflow-id', workflowId, '--symbols', 'BTCUSDT,ETHUSDT']);
    expect(started).toMatchObject({ code: 0, stdout: expect.stringMatching(/started/) });
    const handle = new Client({ connection, namespace: workerConfig.temporal_namespace }).workflow.getHandle(workflowId);
    const kafka = createKafka(workerConfig, { clientId: uniqueName('secure-reader'), quiet: true });
    // The worker creates the topic when the session's first attempt starts.
    const admin = kafka.admin();
    await admin.connect();
    await eventually(async () => (await admin.listTopics()).includes(topic), 60_000, 'the session topic').finally(() => admin.disconnect());
    await readTopic(kafka, topic, (m) => m.length >= 20, 60_000, 'trades over SASL_SSL');

    const status = await k2Run(cliConfig, ['stream', 'status', '--workflow-id', workflowId]);
    expect(status.stdout).toMatch(/state streaming/);
    const query = await exec(temporalBinary, [
      ...['workflow', 'query', '--workflow-id', workflowId, '--name', 'status', '-o', 'json', '--address', env.temporalMtls.address],
      ...['--tls-ca-path', env.ca.file, '--tls-cert-path', env.client.certFile, '--tls-key-path', env.client.keyFile, '--tls-server-name', env.temporalServerName],
    ]);
    outputs.push(query.stdout, query.stderr);
    expect(query.stdout).toContain('BTCUSDT');
    const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
    expect(await ready.text()).toMatch(/^ready/);
    outputs.push(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());

    sim.pauseMarket();
    expect((await k2Run(cliConfig, ['stream', 'stop', '--workflow-id', workflowId])).code).toBe(0);
    const final = await handle.result();
    expect(final.state).toBe('stopped');
    const truth = Object.fromEntries(['BTCUSDT', 'ETHUSDT'].map((s) => [s, sim.groundTruth(s)!]));
    const trades: DecodedTrade[] = [];
    const raw = await readTopic(kafka, topic, (m) => {
      for (let i = trades.length; i < m.length; i++) trades.push(decodeTrade(m[i].value!));
      return reachedTruth(trades, truth);
    });
    for (const [symbol, ids] of idsBySymbol(trades)) {
      expect({ symbol, ...compareIds(ids, ids[0], truth[symbol].lastId) }).toEqual({ symbol, missing: [], duplicated: [] });
      expect(final.cursor[symbol]).toBe(truth[symbol].lastId);
    }
    // Confluent wire format: the schema was registered through the HTTPS proxy, with basic auth.
    const latest = (await (await fetch(`${registryUrl(registryDefaults)}/subjects/${topic}-value/versions/latest`)).json()) as { id: number };
    expect(raw[0].value![0]).toBe(0);
    expect(raw[0].value!.readUInt32BE(1)).toBe(latest.id);
    expect(env.registry.forwarded).toBeGreaterThan(0);
    expect(env.temporalMtls.forwarded).toBeGreaterThan(0);
    expect(env.temporalApiKey.forwarded).toBeGreaterThan(0);

    // The password revoked under the running worker: the next session's attempts fail, retried,
    // and its status names the setting.
    await env.kafka.setScramPassword('scram-sha-256', wrongSecrets[3]);
    const second = uniqueName('secure-revoked');
    await k2Run(cliConfig, ['stream', 'start', '--workflow-id', second, '--symbols', 'BTCUSDT']);
    try {
      const refused = /stream attempt \d+ failed, retrying: kafka: authentication failed .*check kafka_sasl_username \(env KAFKA_SASL_USERNAME\), kafka_sasl_password/;
      await eventually(async () => refused.test((await k2Run(cliConfig, ['stream', 'status', '--workflow-id', second])).stdout), 45_000, 'a status naming the refused password');
    } finally {
      await new Client({ connection, namespace: workerConfig.temporal_namespace }).workflow.getHandle(second).terminate('test over');
    }
  } finally {
    await worker.kill('SIGTERM');
    outputs.push(worker.output);
    await connection.close();
  }
}, 180_000);

test.each<[string, SaslMechanism | 'mtls']>([
  ['SASL PLAIN over TLS', 'plain'],
  ['SCRAM-SHA-512 over TLS', 'scram-sha-512'],
  ['a client certificate (mTLS) without SASL', 'mtls'],
])('%s writes a record', async (_label, how) => {
  const settings: KafkaSettings =
    how === 'mtls'
      ? { kafka_brokers: [env.kafka.mtls], kafka_ssl: true, kafka_ssl_ca: env.ca.file, kafka_ssl_cert: env.client.certFile, kafka_ssl_key: env.client.keyFile }
      : loadConfig({}, { kafka_brokers: [env.kafka.saslSsl], kafka_ssl_ca: env.ca.file, kafka_sasl_mechanism: how, kafka_sasl_username: env.kafka.users[how].username, kafka_sasl_password: env.kafka.users[how].password });
  const kafka = createKafka(settings, { clientId: uniqueName('secure-probe'), quiet: true });
  const topic = uniqueName(`secure.${how}`);
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: how }] });
    expect(Number((await admin.fetchTopicOffsets(topic))[0].high)).toBe(1);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});

describe('refused credentials and certificates stop start-up with the part and the setting', () => {
  const refusal = (part: string, what: RegExp, setting: string) => new RegExp(`^${part}: ${what.source}.*check .*${setting} \\(env ${setting.toUpperCase()}\\)`);

  test('k2 worker with a wrong Kafka password exits 2 at once, without a stack trace', async () => {
    const config = loadConfig(process.env, { ...baseSettings(uniqueName('secure.refused')), ...mtlsTemporal() });
    const t = Date.now();
    const run = await k2Run(config, ['worker'], { KAFKA_SASL_PASSWORD_FILE: env.secretFile('wrong-kafka', wrongSecrets[0]) });
    expect(run.code).toBe(2);
    expect(Date.now() - t).toBeLessThan(30_000);
    expect(run.stderr).toMatch(/k2: kafka: authentication failed .*check kafka_sasl_username \(env KAFKA_SASL_USERNAME\), kafka_sasl_password \(env KAFKA_SASL_PASSWORD\)/);
    expect(run.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  });

  test('Kafka: an untrusted CA, a misnamed certificate, a missing client certificate', async () => {
    // The handshake fails before SASL would begin.
    await expect(checkKafka({ kafka_brokers: [env.kafka.saslSsl], kafka_ssl_ca: env.otherCa.file })).rejects.toThrow(refusal('kafka', /the server's TLS certificate is not trusted/, 'kafka_ssl_ca'));
    await expect(checkKafka({ kafka_brokers: [env.kafka.wrongHost], kafka_ssl_ca: env.ca.file })).rejects.toThrow(refusal('kafka', /the server's TLS certificate is not valid for the name/, 'kafka_brokers'));
    await expect(checkKafka({ kafka_brokers: [env.kafka.mtls], kafka_ssl_ca: env.ca.file })).rejects.toThrow(refusal('kafka', /the server refused the TLS client certificate/, 'kafka_ssl_cert'));
  });

  test('Temporal: the worker with an API key; a wrong API key (k2 CLI), an untrusted CA, a missing client certificate, a name the certificate lacks', async () => {
    const config = loadConfig(process.env, { ...apiKeyTemporal(), temporal_api_key_file: env.secretFile('wrong-key', wrongSecrets[1]) });
    const run = await k2Run(config, ['stream', 'status', '--workflow-id', 'any']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/k2: temporal: authentication failed .*check temporal_api_key \(env TEMPORAL_API_KEY\)/);
    // The worker's own client (the Rust core) with an API key, as on Temporal Cloud.
    const keyed = await connectTemporalWorker(loadConfig({}, apiKeyTemporal()));
    await keyed.close();
    const mtls = mtlsTemporal() as TemporalSettings;
    for (const connect of [connectTemporal, connectTemporalWorker]) {
      await expect(connect({ ...mtls, temporal_tls_ca: env.otherCa.file })).rejects.toThrow(refusal('temporal', /the server's TLS certificate is not trusted/, 'temporal_tls_ca'));
      await expect(connect({ ...mtls, temporal_tls_cert: undefined, temporal_tls_key: undefined })).rejects.toThrow(
        refusal('temporal', /the server refused the TLS client certificate/, 'temporal_tls_cert'),
      );
      await expect(connect({ ...mtls, temporal_tls_server_name: undefined })).rejects.toThrow(refusal('temporal', /the server's TLS certificate is not valid for the name/, 'temporal_tls_server_name'));
    }
  });

  test('schema registry: a wrong password, an untrusted CA, a name the certificate lacks', async () => {
    const registry = (over: NodeJS.ProcessEnv) =>
      loadConfig({ SCHEMA_REGISTRY_URL: env.registryUrl, SCHEMA_REGISTRY_CA: env.ca.file, SCHEMA_REGISTRY_USERNAME: 'k2', SCHEMA_REGISTRY_PASSWORD: env.secrets.registryPassword, ...over });
    await expect(checkSchemaRegistry(registry({}))).resolves.toBeUndefined();
    await expect(checkSchemaRegistry(registry({ SCHEMA_REGISTRY_PASSWORD: wrongSecrets[2] }))).rejects.toThrow(
      refusal('schema registry', /authentication failed/, 'schema_registry_password'),
    );
    await expect(checkSchemaRegistry(registry({ SCHEMA_REGISTRY_CA: env.otherCa.file }))).rejects.toThrow(refusal('schema registry', /the server's TLS certificate is not trusted/, 'schema_registry_ca'));
    // The proxy's certificate holds 127.0.0.1 only.
    await expect(checkSchemaRegistry(registry({ SCHEMA_REGISTRY_URL: env.registryUrl.replace('127.0.0.1', 'localhost') }))).rejects.toThrow(
      refusal('schema registry', /the server's TLS certificate is not valid for the name/, 'schema_registry_url'),
    );
  });
});

test('no secret appears in any output of the run: logs, status, errors, metrics', () => {
  const all = outputs.join('\n');
  // Last in the file: the session's and every refusal's output are in.
  expect(all).toContain('stream attempt');
  expect(all).toContain('k2: kafka: authentication failed');
  expect(all).toContain('k2: temporal: authentication failed');
  for (const secret of [...env.allSecrets(), ...wrongSecrets]) expect({ secret, found: all.includes(secret) }).toEqual({ secret, found: false });
});
