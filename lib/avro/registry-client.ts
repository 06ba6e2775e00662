import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Config } from '../config';
import { explainConnectionError, registrySettingsFor } from '../connection-errors';
import { readPemSetting, withRootCertificates } from '../pem-file';
import { redactSecrets } from '../secret';

export type RegistrySettings = Partial<Pick<Config, 'schema_registry_url' | 'schema_registry_ca' | 'schema_registry_username' | 'schema_registry_password'>>;

/**
 * The schema registry client, or undefined without schema_registry_url (then records are Avro
 * single-object encoded). HTTPS verifies against Node's roots plus schema_registry_ca; basic auth
 * travels in a header, never in the URL, which is logged.
 */
export function createSchemaRegistry(s: RegistrySettings): SchemaRegistry | undefined {
  if (!s.schema_registry_url) return undefined;
  const ca = withRootCertificates(readPemSetting('schema_registry_ca', s.schema_registry_ca));
  return new SchemaRegistry({
    host: s.schema_registry_url,
    ...(ca ? { agent: new Agent({ ca, keepAlive: true }) } : {}),
    ...(s.schema_registry_username && s.schema_registry_password
      ? { auth: { username: s.schema_registry_username, password: s.schema_registry_password.reveal() } }
      : {}),
    // A refused password or certificate does not pass by retrying.
    retry: { retries: 1 },
  });
}

export function explainRegistryError(s: RegistrySettings, err: unknown): Error {
  const explained = explainConnectionError('schema registry', err, registrySettingsFor, [s.schema_registry_password]);
  if (explained) return explained;
  const e = err instanceof Error ? err : new Error(String(err));
  e.message = redactSecrets(e.message, [s.schema_registry_password]);
  return e;
}

/** GET <url>/subjects with the client's TLS and credentials; resolves with the HTTP status. */
function getSubjects(s: RegistrySettings & { schema_registry_url: string }, timeoutMs: number): Promise<number> {
  const url = new URL(`${s.schema_registry_url.replace(/\/$/, '')}/subjects`);
  const ca = withRootCertificates(readPemSetting('schema_registry_ca', s.schema_registry_ca));
  const auth = s.schema_registry_username && s.schema_registry_password ? `${s.schema_registry_username}:${s.schema_registry_password.reveal()}` : undefined;
  const headers = auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {};
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { headers, timeout: timeoutMs, ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Lists the subjects once: a refused password or certificate becomes a ConnectionSetupError naming the settings. */
export async function checkSchemaRegistry(s: RegistrySettings, timeoutMs = 5_000): Promise<void> {
  if (!s.schema_registry_url) return;
  try {
    const status = await getSubjects({ ...s, schema_registry_url: s.schema_registry_url }, timeoutMs);
    if (status >= 400) throw Object.assign(new Error(`GET /subjects answered HTTP ${status}`), { status });
  } catch (err) {
    throw explainRegistryError(s, err);
  }
}
