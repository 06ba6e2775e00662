import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, loadConfig } from '../../../lib/config';
import { configEnv } from '../../../lib/config-env';
import { Secret } from '../../../lib/secret';

const dir = mkdtempSync(join(tmpdir(), 'k2-config-conn-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const PASSWORD = 'hunter2-very-secret';
const sasl = { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'k2' };

function problem(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('connection settings', () => {
  test('plaintext and no credentials by default', () => {
    const c = loadConfig({});
    expect(c.kafka_ssl).toBe(false);
    expect(c.temporal_tls).toBe(false);
    expect(c.kafka_sasl_mechanism).toBeUndefined();
    expect(c.temporal_api_key).toBeUndefined();
  });

  test('a secret comes from <name>_file, without the trailing newline', () => {
    const c = loadConfig({ ...sasl, KAFKA_SASL_PASSWORD_FILE: file('pw', `${PASSWORD}\n`) });
    expect(c.kafka_sasl_password).toBeInstanceOf(Secret);
    expect(c.kafka_sasl_password!.reveal()).toBe(PASSWORD);
    const k = loadConfig({ TEMPORAL_API_KEY_FILE: file('key', 'abc.def\r\n') });
    expect(k.temporal_api_key!.reveal()).toBe('abc.def');
    const r = loadConfig({ SCHEMA_REGISTRY_URL: 'https://r.example:8081', SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD_FILE: file('rpw', 'p4ss') });
    expect(r.schema_registry_password!.reveal()).toBe('p4ss');
  });

  test('a secret file that is missing, empty or doubled by a value names the setting', () => {
    expect(problem({ ...sasl, KAFKA_SASL_PASSWORD_FILE: join(dir, 'nope') })).toMatch(/kafka_sasl_password_file \(env KAFKA_SASL_PASSWORD_FILE\): cannot read .*ENOENT/);
    expect(problem({ ...sasl, KAFKA_SASL_PASSWORD_FILE: file('empty', '\n') })).toMatch(/kafka_sasl_password_file.*is empty/);
    expect(problem({ ...sasl, KAFKA_SASL_PASSWORD: 'x', KAFKA_SASL_PASSWORD_FILE: file('pw2', 'y') })).toMatch(
      /kafka_sasl_password_file.*set kafka_sasl_password or kafka_sasl_password_file, not both/,
    );
  });

  test('secrets never print: String, JSON, inspect, and error messages', () => {
    const c = loadConfig({ ...sasl, KAFKA_SASL_PASSWORD: PASSWORD, TEMPORAL_API_KEY: `${PASSWORD}-key` });
    expect(String(c.kafka_sasl_password)).toBe('[redacted]');
    expect(JSON.stringify(c)).not.toContain(PASSWORD);
    expect(inspect(c, { depth: 5 })).not.toContain(PASSWORD);
    expect(`${c.temporal_api_key}`).toBe('[redacted]');
    // A message about a secret setting shows [redacted], never the value.
    const msg = problem({ TEMPORAL_API_KEY: PASSWORD, TEMPORAL_TLS: 'false' });
    expect(msg).toMatch(/temporal_tls \(env TEMPORAL_TLS\): is false, but temporal_api_key is set/);
    expect(msg).not.toContain(PASSWORD);
  });

  test('TLS turns on with any TLS-only setting; an explicit false with one is refused', () => {
    expect(loadConfig({ KAFKA_SSL_CA: '/ca.pem' }).kafka_ssl).toBe(true);
    expect(loadConfig({ KAFKA_SSL: 'true' }).kafka_ssl).toBe(true);
    expect(loadConfig({ TEMPORAL_API_KEY: 'k' }).temporal_tls).toBe(true);
    expect(loadConfig({ TEMPORAL_TLS_SERVER_NAME: 'x.tmprl.cloud' }).temporal_tls).toBe(true);
    expect(problem({ KAFKA_SSL: 'false', KAFKA_SSL_CA: '/ca.pem' })).toMatch(/kafka_ssl \(env KAFKA_SSL\): is false, but kafka_ssl_ca/);
    expect(problem({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA: '/ca.pem' })).toMatch(/temporal_tls.*temporal_tls_\* setting/);
  });

  test('incomplete pairs name the missing setting', () => {
    expect(problem({ KAFKA_SSL_CERT: '/c.pem' })).toMatch(/kafka_ssl_key \(env KAFKA_SSL_KEY\): required when kafka_ssl_cert is set/);
    expect(problem({ TEMPORAL_TLS_KEY: '/k.pem' })).toMatch(/temporal_tls_cert.*required when temporal_tls_key is set/);
    expect(problem({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })).toMatch(/kafka_sasl_password.*required with kafka_sasl_mechanism plain/);
    expect(problem({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'p' })).toMatch(/kafka_sasl_username.*required/);
    expect(problem({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toMatch(/kafka_sasl_mechanism.*required when kafka_sasl_username/);
    expect(problem({ SCHEMA_REGISTRY_URL: 'https://r:1', SCHEMA_REGISTRY_USERNAME: 'u' })).toMatch(/schema_registry_password.*basic auth needs both/);
  });

  test('an unknown SASL mechanism names the setting and the choices', () => {
    expect(problem({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toMatch(/kafka_sasl_mechanism.*plain.*scram-sha-256.*scram-sha-512/);
  });

  test('the registry: no credentials in the URL, a CA only for https, no password in clear text to another host', () => {
    const inUrl = problem({ SCHEMA_REGISTRY_URL: `https://u:${PASSWORD}@r.example/apis` });
    expect(inUrl).toMatch(/schema_registry_url.*must not hold credentials/);
    expect(inUrl).not.toContain(PASSWORD);
    expect(problem({ SCHEMA_REGISTRY_URL: 'http://r.example:8081', SCHEMA_REGISTRY_CA: '/ca.pem' })).toMatch(/schema_registry_ca.*not https/);
    expect(problem({ SCHEMA_REGISTRY_URL: 'http://r.example:8081', SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' })).toMatch(
      /schema_registry_password.*clear text to r.example:8081/,
    );
    expect(problem({ SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' })).toMatch(/schema_registry_url.*required/);
  });

  test('a worker environment carries a file secret as its file and a value secret as its value', () => {
    const pw = file('pw3', PASSWORD);
    const c = loadConfig({ ...sasl, KAFKA_SASL_PASSWORD_FILE: pw, TEMPORAL_API_KEY: 'key-value' });
    const env = configEnv(c, {}, {});
    expect(env.KAFKA_SASL_PASSWORD).toBeUndefined();
    expect(env.KAFKA_SASL_PASSWORD_FILE).toBe(pw);
    expect(env.TEMPORAL_API_KEY).toBe('key-value');
    expect(Object.values(env).join('\n')).not.toContain(PASSWORD);
    const again = loadConfig(env);
    expect(again.kafka_sasl_password!.reveal()).toBe(PASSWORD);
    expect(again.temporal_api_key!.reveal()).toBe('key-value');
  });
});
