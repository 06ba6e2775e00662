import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registryDefaults, registryUrl } from '../../ops/infra/schema-registry';
import { infraDown, infraUp } from '../../ops/infra/stack';
import { SecureKafka, startSecureKafka } from './secure-kafka';
import { Issued, TestCa } from './test-pki';
import { startGrpcTlsProxy, startHttpsProxy, TlsProxy } from './tls-proxy';

/**
 * Production's front doors on 127.0.0.1, for one test file: a SASL_SSL/mTLS broker of its own,
 * the shared Temporal dev server behind two TLS proxies (one requiring a client certificate and
 * known only by a DNS name, one requiring an API key, as Temporal Cloud does), and the local
 * Apicurio behind an HTTPS proxy with basic auth. Secrets are random per run and written to files.
 */
export interface SecureEnv {
  dir: string;
  ca: TestCa;
  /** A CA nothing here trusts: the untrusted-certificate cases. */
  otherCa: TestCa;
  kafka: SecureKafka;
  /** mTLS; its certificate names only `temporalServerName`. */
  temporalMtls: TlsProxy;
  temporalServerName: string;
  /** TLS + API key (certificate for 127.0.0.1). */
  temporalApiKey: TlsProxy;
  registry: TlsProxy;
  registryUrl: string;
  client: Issued;
  secrets: { apiKey: string; registryPassword: string };
  /** A file holding `text`, mode 0600, as a Docker or Kubernetes secret would be mounted. */
  secretFile(name: string, text: string): string;
  /** Every secret of this environment: none may appear in any output. */
  allSecrets(): string[];
  stop(): Promise<void>;
}

export async function startSecureEnv(firstKafkaPort: number): Promise<SecureEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'k2-secure-'));
  const ca = new TestCa(join(dir, 'pki'), 'k2 test CA');
  const otherCa = new TestCa(join(dir, 'other-pki'), 'k2 untrusted CA');
  const temporalServerName = 'temporal.k2.test';
  const secrets = { apiKey: `key-${randomBytes(16).toString('hex')}`, registryPassword: `reg-${randomBytes(12).toString('hex')}` };
  const [kafkaStart, registryStart] = await Promise.allSettled([startSecureKafka(dir, ca, firstKafkaPort), infraUp(['schema-registry'])]);
  const registryStartedHere = registryStart.status === 'fulfilled' && registryStart.value[0].state === 'started';
  if (kafkaStart.status === 'rejected' || registryStart.status === 'rejected') {
    if (kafkaStart.status === 'fulfilled') await kafkaStart.value.stop();
    if (registryStartedHere) await infraDown(['schema-registry']);
    throw kafkaStart.status === 'rejected' ? kafkaStart.reason : (registryStart as PromiseRejectedResult).reason;
  }
  const kafka = kafkaStart.value;
  const ipCert = ca.issue('127.0.0.1', { names: ['127.0.0.1'] });
  const temporalMtls = await startGrpcTlsProxy({
    target: '127.0.0.1:7233',
    tls: { ...ca.issue(temporalServerName, { names: [temporalServerName] }), clientCa: ca.pem },
  });
  const temporalApiKey = await startGrpcTlsProxy({ target: '127.0.0.1:7233', tls: ipCert, apiKey: secrets.apiKey });
  const registry = await startHttpsProxy({
    target: `http://${registryDefaults.host}:${registryDefaults.port}`,
    tls: ipCert,
    basicAuth: { username: 'k2', password: secrets.registryPassword },
  });
  const secretDir = join(dir, 'secrets');
  mkdirSync(secretDir, { mode: 0o700 });
  return {
    dir,
    ca,
    otherCa,
    kafka,
    temporalMtls,
    temporalServerName,
    temporalApiKey,
    registry,
    registryUrl: registryUrl(registryDefaults).replace(`http://${registryDefaults.host}:${registryDefaults.port}`, `https://${registry.address}`),
    client: ca.issue('k2-worker', { client: true }),
    secrets,
    secretFile(name, text) {
      const file = join(secretDir, name);
      writeFileSync(file, `${text}\n`, { mode: 0o600 });
      return file;
    },
    allSecrets: () => [secrets.apiKey, secrets.registryPassword, ...Object.values(kafka.users).map((u) => u.password)],
    async stop() {
      await Promise.all([temporalMtls.close(), temporalApiKey.close(), registry.close()]);
      await kafka.stop();
      if (registryStartedHere) await infraDown(['schema-registry']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
