import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Secret } from './secret';

// Settings for TLS and authentication to Kafka, Temporal and the schema registry. Paths name PEM
// files (read by the client factories, which name the setting if one is missing); secrets are
// Secret objects that print as [redacted], and each may come from a file (`<name>_file`, for
// Docker and Kubernetes secrets) instead of the environment.

const optionalBool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return v;
}, z.boolean().optional());
const path = z.string().min(1).optional();
const secret = z.instanceof(Secret, { message: 'must be a non-empty string' }).optional();

/** Settings whose value is a secret; each has a `<name>_file` twin. */
export const secretSettings = ['kafka_sasl_password', 'temporal_api_key', 'schema_registry_password'] as const;
export type SecretSetting = (typeof secretSettings)[number];

export const connectionSettingsShape = {
  // Unset: on when any kafka_ssl_* file is set. Certificates are always verified, host names included.
  kafka_ssl: optionalBool,
  /** PEM bundle of the CA(s) that signed the brokers' certificates, added to Node's store. */
  kafka_ssl_ca: path,
  /** PEM client certificate and key, for brokers that require mTLS. */
  kafka_ssl_cert: path,
  kafka_ssl_key: path,
  // kafkajs' AWS mechanism needs a broker plugin MSK does not run, and OAUTHBEARER needs a token
  // provider in code: neither is offered (docs/architecture.md, "Connections").
  kafka_sasl_mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  kafka_sasl_username: z.string().min(1).optional(),
  kafka_sasl_password: secret,
  kafka_sasl_password_file: path,

  // Unset: on when temporal_api_key or any temporal_tls_* setting is set.
  temporal_tls: optionalBool,
  temporal_tls_ca: path,
  /** The name the server's certificate must hold when it differs from temporal_address's host. */
  temporal_tls_server_name: z.string().min(1).optional(),
  temporal_tls_cert: path,
  temporal_tls_key: path,
  /** Temporal Cloud API key (sent as `Authorization: Bearer …`, over TLS only). */
  temporal_api_key: secret,
  temporal_api_key_file: path,

  schema_registry_ca: path,
  schema_registry_username: z.string().min(1).optional(),
  schema_registry_password: secret,
  schema_registry_password_file: path,
};

type Problem = { setting: string; message: string };

/**
 * Turns secrets in the raw settings into Secret objects, reading `<name>_file` where given (a
 * trailing newline, as `echo` and most editors leave, is dropped). Mutates `raw`; returns problems.
 */
export function resolveSecrets(raw: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  for (const name of secretSettings) {
    const fileSetting = `${name}_file`;
    const file = raw[fileSetting];
    const value = raw[name];
    if (file !== undefined && value !== undefined && !(value instanceof Secret && value.file === file)) {
      problems.push({ setting: fileSetting, message: `set ${name} or ${fileSetting}, not both` });
    } else if (typeof file === 'string' && file !== '') {
      try {
        const text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
        if (text === '') problems.push({ setting: fileSetting, message: `${file} is empty` });
        else raw[name] = new Secret(text, file);
      } catch (err) {
        problems.push({ setting: fileSetting, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      }
    } else if (typeof value === 'string' && value !== '') {
      raw[name] = new Secret(value);
    }
  }
  return problems;
}

type ConnectionSettings = z.infer<z.ZodObject<typeof connectionSettingsShape>> & { schema_registry_url?: string };

function pair(c: ConnectionSettings, a: keyof ConnectionSettings, b: keyof ConnectionSettings, why: string): Problem[] {
  if (c[a] !== undefined && c[b] === undefined) return [{ setting: b, message: `required when ${a} is set (${why})` }];
  if (c[b] !== undefined && c[a] === undefined) return [{ setting: a, message: `required when ${b} is set (${why})` }];
  return [];
}

/** The TLS switches: unset means on when anything TLS-only is configured. */
export function resolveTlsSwitches(c: ConnectionSettings): { kafka_ssl: boolean; temporal_tls: boolean } {
  const kafkaFiles = !!(c.kafka_ssl_ca || c.kafka_ssl_cert || c.kafka_ssl_key);
  const temporalOnly = !!(c.temporal_tls_ca || c.temporal_tls_cert || c.temporal_tls_key || c.temporal_tls_server_name || c.temporal_api_key);
  return { kafka_ssl: c.kafka_ssl ?? kafkaFiles, temporal_tls: c.temporal_tls ?? temporalOnly };
}

/** Connection settings that are valid alone but not together. */
export function checkConnectionSettings(c: ConnectionSettings): Problem[] {
  const problems: Problem[] = [
    ...pair(c, 'kafka_ssl_cert', 'kafka_ssl_key', 'a client certificate needs its key'),
    ...pair(c, 'temporal_tls_cert', 'temporal_tls_key', 'a client certificate needs its key'),
    ...pair(c, 'schema_registry_username', 'schema_registry_password', 'basic auth needs both'),
  ];
  if (c.kafka_ssl === false && (c.kafka_ssl_ca || c.kafka_ssl_cert || c.kafka_ssl_key)) {
    problems.push({ setting: 'kafka_ssl', message: 'is false, but kafka_ssl_ca, kafka_ssl_cert or kafka_ssl_key is set' });
  }
  if (c.kafka_sasl_mechanism) {
    if (!c.kafka_sasl_username) problems.push({ setting: 'kafka_sasl_username', message: `required with kafka_sasl_mechanism ${c.kafka_sasl_mechanism}` });
    if (!c.kafka_sasl_password) problems.push({ setting: 'kafka_sasl_password', message: `required with kafka_sasl_mechanism ${c.kafka_sasl_mechanism} (or kafka_sasl_password_file)` });
  } else if (c.kafka_sasl_username || c.kafka_sasl_password) {
    problems.push({ setting: 'kafka_sasl_mechanism', message: 'required when kafka_sasl_username or kafka_sasl_password is set (plain, scram-sha-256 or scram-sha-512)' });
  }
  if (c.temporal_tls === false && c.temporal_api_key) {
    problems.push({ setting: 'temporal_tls', message: 'is false, but temporal_api_key is set: the key would cross the network in clear text' });
  } else if (c.temporal_tls === false && (c.temporal_tls_ca || c.temporal_tls_cert || c.temporal_tls_key || c.temporal_tls_server_name)) {
    problems.push({ setting: 'temporal_tls', message: 'is false, but a temporal_tls_* setting is set' });
  }
  if (c.schema_registry_url) {
    const url = new URL(c.schema_registry_url);
    // The URL is logged and shown; credentials in it would be too.
    if (url.username || url.password) {
      problems.push({ setting: 'schema_registry_url', message: 'must not hold credentials: use schema_registry_username and schema_registry_password' });
    }
    if (c.schema_registry_ca && url.protocol !== 'https:') {
      problems.push({ setting: 'schema_registry_ca', message: `is set, but schema_registry_url is not https (${url.protocol})` });
    }
    if (c.schema_registry_password && url.protocol !== 'https:' && !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
      problems.push({ setting: 'schema_registry_password', message: `would be sent in clear text to ${url.host}: use an https schema_registry_url` });
    }
  } else if (c.schema_registry_ca || c.schema_registry_username || c.schema_registry_password) {
    problems.push({ setting: 'schema_registry_url', message: 'required when schema_registry_ca, schema_registry_username or schema_registry_password is set' });
  }
  return problems;
}
