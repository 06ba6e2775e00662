import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { createSchemaRegistry } from '../../../lib/avro/registry-client';
import { ConfigError, loadConfig } from '../../../lib/config';
import { explainStreamError } from '../../../lib/connection-check';
import { classifyConnectionError, ConnectionSetupError, explainConnectionError, kafkaSettingsFor } from '../../../lib/connection-errors';
import { explainKafkaError, kafkaSecurity } from '../../../lib/kafka/client';
import { Secret } from '../../../lib/secret';
import { explainTemporalError, temporalConnectionOptions } from '../../../lib/temporal/connection';

const dir = mkdtempSync(join(tmpdir(), 'k2-factories-'));
const pem = (name: string, kind = 'CERTIFICATE') => {
  const path = join(dir, name);
  writeFileSync(path, `-----BEGIN ${kind}-----\nMIIB${name}\n-----END ${kind}-----\n`);
  return path;
};
const ca = pem('ca.pem');
const cert = pem('client.pem');
const key = pem('client-key.pem', 'PRIVATE KEY');

describe('Kafka client options', () => {
  test('TLS with a private CA added to the public roots, a client certificate, and SCRAM', () => {
    const c = loadConfig({
      KAFKA_SSL_CA: ca,
      KAFKA_SSL_CERT: cert,
      KAFKA_SSL_KEY: key,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'k2',
      KAFKA_SASL_PASSWORD: 'pw-123',
    });
    const { ssl, sasl } = kafkaSecurity(c);
    expect(ssl?.rejectUnauthorized).toBe(true);
    expect(ssl?.ca).toHaveLength(rootCertificates.length + 1);
    expect(String(ssl?.cert)).toContain('MIIBclient.pem');
    expect(String(ssl?.key)).toContain('PRIVATE KEY');
    expect(sasl).toEqual({ mechanism: 'scram-sha-256', username: 'k2', password: 'pw-123' });
  });

  test('plaintext by default; TLS without a CA keeps Node’s own store', () => {
    expect(kafkaSecurity(loadConfig({}))).toEqual({});
    expect(kafkaSecurity(loadConfig({ KAFKA_SSL: 'true' })).ssl).toEqual({ rejectUnauthorized: true });
  });

  test('a missing or non-PEM file names its setting', () => {
    expect(() => kafkaSecurity(loadConfig({ KAFKA_SSL_CA: join(dir, 'missing.pem') }))).toThrow(/kafka_ssl_ca \(env KAFKA_SSL_CA\): cannot read .*ENOENT/);
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(() => kafkaSecurity(loadConfig({ KAFKA_SSL_CERT: notPem, KAFKA_SSL_KEY: key }))).toThrow(ConfigError);
    expect(() => kafkaSecurity(loadConfig({ KAFKA_SSL_CERT: notPem, KAFKA_SSL_KEY: key }))).toThrow(/kafka_ssl_cert.*no PEM block/);
  });
});

describe('Temporal connection options', () => {
  test('TLS with CA, server name, client certificate, and an API key', () => {
    const o = temporalConnectionOptions(
      loadConfig({
        TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
        TEMPORAL_TLS_CA: ca,
        TEMPORAL_TLS_SERVER_NAME: 'ns.acct.tmprl.cloud',
        TEMPORAL_TLS_CERT: cert,
        TEMPORAL_TLS_KEY: key,
        TEMPORAL_API_KEY: 'key-1',
      }),
    );
    expect(o.address).toBe('ns.acct.tmprl.cloud:7233');
    expect(o.apiKey).toBe('key-1');
    expect(o.tls?.serverNameOverride).toBe('ns.acct.tmprl.cloud');
    expect(Buffer.from(o.tls!.serverRootCACertificate!).toString()).toContain('MIIBca.pem');
    expect(Buffer.from(o.tls!.clientCertPair!.crt).toString()).toContain('MIIBclient.pem');
  });

  test('an API key alone means TLS with the system roots (Temporal Cloud)', () => {
    expect(temporalConnectionOptions(loadConfig({ TEMPORAL_API_KEY: 'k' }))).toEqual({ address: '127.0.0.1:7233', tls: {}, apiKey: 'k' });
    expect(temporalConnectionOptions(loadConfig({}))).toEqual({ address: '127.0.0.1:7233' });
  });
});

describe('schema registry client', () => {
  test('none without a URL; one with CA and basic auth', () => {
    expect(createSchemaRegistry(loadConfig({}))).toBeUndefined();
    const r = createSchemaRegistry(loadConfig({ SCHEMA_REGISTRY_URL: 'https://r.example/apis/ccompat/v7', SCHEMA_REGISTRY_CA: ca, SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' }));
    expect(r).toBeDefined();
  });
});

describe('connection errors', () => {
  const nodeError = (message: string, code: string) => Object.assign(new Error(message), { code });

  test.each([
    ['untrusted_certificate', nodeError('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN')],
    ['untrusted_certificate', new Error('ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) })')],
    ['hostname_mismatch', nodeError("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID')],
    ['hostname_mismatch', new Error('InvalidCertificate(NotValidForNameContext { expected: DnsName("x") })')],
    ['expired_certificate', nodeError('certificate has expired', 'CERT_HAS_EXPIRED')],
    ['client_certificate_refused', nodeError('tlsv13 alert certificate required', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')],
    ['not_tls', nodeError('wrong version number', 'ERR_SSL_WRONG_VERSION_NUMBER')],
    ['authentication_failed', Object.assign(new Error('SASL SCRAM SHA256 authentication failed: Authentication failed'), { name: 'KafkaJSSASLAuthenticationError' })],
    ['mechanism_unsupported', new Error('The broker does not support the requested SASL mechanism')],
    ['authentication_failed', Object.assign(new Error('Request unauthorized'), { code: 16, details: 'UNAUTHENTICATED' })],
    ['authentication_failed', Object.assign(new Error('GET /subjects answered HTTP 401'), { status: 401 })],
  ])('%s from %p', (problem, err) => {
    expect(classifyConnectionError(err)).toBe(problem);
  });

  test('errors nested in kafkajs and causes are found', () => {
    const inner = nodeError('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(classifyConnectionError(Object.assign(new Error('Connection error'), { originalError: inner }))).toBe('untrusted_certificate');
    expect(classifyConnectionError(new Error('outer', { cause: inner }))).toBe('untrusted_certificate');
  });

  test('a network failure is not a setting problem', () => {
    expect(classifyConnectionError(nodeError('connect ECONNREFUSED 127.0.0.1:9092', 'ECONNREFUSED'))).toBeUndefined();
    expect(explainConnectionError('kafka', new Error('Connection timeout'), kafkaSettingsFor)).toBeUndefined();
  });

  test('the message names the part, the problem and the settings with their variables, and never a secret', () => {
    const password = new Secret('s3cret-pw');
    const err = explainKafkaError(
      { kafka_brokers: ['b:9096'], kafka_sasl_password: password },
      new Error('SASL PLAIN authentication failed: bad password s3cret-pw'),
    );
    expect(err).toBeInstanceOf(ConnectionSetupError);
    expect(err.message).toMatch(/^kafka: authentication failed \(.*\); check kafka_sasl_username \(env KAFKA_SASL_USERNAME\), kafka_sasl_password \(env KAFKA_SASL_PASSWORD\)$/);
    expect(err.message).not.toContain('s3cret-pw');
    // Left alone, but scrubbed all the same.
    expect(explainKafkaError({ kafka_brokers: ['b:1'], kafka_sasl_password: password }, new Error('weird s3cret-pw')).message).toBe('weird [redacted]');
  });

  test('Temporal: an API key in use is what authentication points at; a client certificate otherwise', () => {
    const unauth = Object.assign(new Error('16 UNAUTHENTICATED: Request unauthorized'), { code: 16 });
    expect(explainTemporalError({ temporal_address: 'a:1', temporal_api_key: new Secret('k-123') }, unauth).message).toMatch(/check temporal_api_key \(env TEMPORAL_API_KEY\)$/);
    expect(explainTemporalError({ temporal_address: 'a:1' }, unauth).message).toMatch(/check temporal_tls_cert .*temporal_tls_key/);
  });

  test('a stream attempt is told apart by the client that threw: Kafka, the registry, or neither', () => {
    const c = loadConfig({});
    const kafka = Object.assign(new Error('SASL SCRAM SHA512 authentication failed: Authentication failed'), { name: 'KafkaJSSASLAuthenticationError' });
    const registry = Object.assign(new Error('Confluent_Schema_Registry - Error, status 401'), { name: 'ResponseError', status: 401 });
    expect(explainStreamError(c, kafka)?.message).toMatch(/^kafka: authentication failed.*kafka_sasl_password/);
    expect(explainStreamError(c, registry)?.message).toMatch(/^schema registry: authentication failed.*schema_registry_password/);
    expect(explainStreamError(c, new Error('401 is a number'))).toBeUndefined();
    expect(explainStreamError(c, Object.assign(new Error('Connection timeout'), { name: 'KafkaJSConnectionError' }))).toBeUndefined();
  });
});
