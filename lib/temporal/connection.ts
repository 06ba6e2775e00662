import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import { Client, Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { NativeConnection } from '@temporalio/worker';
import { Config } from '../config';
import { ConnectionSetupError, explainConnectionError, temporalSettingsFor } from '../connection-errors';
import { readPemSetting, withRootCertificates } from '../pem-file';
import { probeTls } from '../tls-probe';
import { redactSecrets } from '../secret';

// The one way the project reaches Temporal: the worker (NativeConnection, Rust core), the k2 CLI
// and every client (Connection, grpc-js) take their address, TLS and API key from here.

export type TemporalSettings = Pick<Config, 'temporal_address'> &
  Partial<Pick<Config, 'temporal_tls' | 'temporal_tls_ca' | 'temporal_tls_server_name' | 'temporal_tls_cert' | 'temporal_tls_key' | 'temporal_api_key'>>;

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/** Address, TLS (custom CA, server name, client certificate) and API key; PEM files read now, so a missing one names its setting. */
export function temporalConnectionOptions(s: TemporalSettings): TemporalConnectionOptions {
  const o: TemporalConnectionOptions = { address: s.temporal_address };
  const tlsOn = s.temporal_tls ?? !!(s.temporal_tls_ca || s.temporal_tls_cert || s.temporal_tls_key || s.temporal_tls_server_name || s.temporal_api_key);
  if (tlsOn) {
    const ca = readPemSetting('temporal_tls_ca', s.temporal_tls_ca);
    const crt = readPemSetting('temporal_tls_cert', s.temporal_tls_cert);
    const key = readPemSetting('temporal_tls_key', s.temporal_tls_key);
    o.tls = {
      ...(ca ? { serverRootCACertificate: Buffer.from(ca) } : {}),
      ...(s.temporal_tls_server_name ? { serverNameOverride: s.temporal_tls_server_name } : {}),
      ...(crt && key ? { clientCertPair: { crt: Buffer.from(crt), key: Buffer.from(key) } } : {}),
    };
  }
  if (s.temporal_api_key) o.apiKey = s.temporal_api_key.reveal();
  return o;
}

/** A certificate or key the server refused becomes a ConnectionSetupError; the rest keep their message, secrets scrubbed. */
export function explainTemporalError(s: TemporalSettings, err: unknown): Error {
  // The credential in use is the one to check.
  const authentication = s.temporal_api_key ? ['temporal_api_key'] : ['temporal_tls_cert', 'temporal_tls_key'];
  const explained = explainConnectionError('temporal', err, { ...temporalSettingsFor, authentication_failed: authentication }, [s.temporal_api_key]);
  if (explained) return explained;
  const e = err instanceof Error ? err : new Error(String(err));
  e.message = redactSecrets(e.message, [s.temporal_api_key]);
  return e;
}

/** The handshake grpc-js will make, made once by Node to hear why it fails (see probeTls). */
async function tlsProblem(s: TemporalSettings, o: TemporalConnectionOptions): Promise<Error | undefined> {
  if (!o.tls) return undefined;
  const { serverRootCACertificate: ca, serverNameOverride, clientCertPair } = o.tls;
  const host = o.address.slice(0, o.address.lastIndexOf(':'));
  const servername = serverNameOverride ?? host;
  const err = await probeTls(o.address, {
    ALPNProtocols: ['h2'],
    ...(isIP(servername) ? {} : { servername }),
    checkServerIdentity: (_host, cert) => checkServerIdentity(servername, cert),
    ...(ca ? { ca: withRootCertificates(Buffer.from(ca).toString()) } : {}),
    ...(clientCertPair ? { cert: Buffer.from(clientCertPair.crt), key: Buffer.from(clientCertPair.key) } : {}),
  });
  return err && explainConnectionError('temporal', err, temporalSettingsFor, [s.temporal_api_key]);
}

/** A client connection (k2 CLI, tests, tools); `connectTimeout` bounds the first round trip. */
export async function connectTemporal(s: TemporalSettings, o: { connectTimeout?: number } = {}): Promise<Connection> {
  const options = temporalConnectionOptions(s);
  const refused = await tlsProblem(s, options);
  if (refused) throw refused;
  try {
    return await Connection.connect({ ...options, ...(o.connectTimeout ? { connectTimeout: o.connectTimeout } : {}) });
  } catch (err) {
    throw explainTemporalError(s, err);
  }
}

export async function connectTemporalClient(s: TemporalSettings & Pick<Config, 'temporal_namespace'>): Promise<{ client: Client; connection: Connection }> {
  const connection = await connectTemporal(s);
  return { connection, client: new Client({ connection, namespace: s.temporal_namespace }) };
}

/** The worker's connection (the Rust core's own gRPC client). */
export async function connectTemporalWorker(s: TemporalSettings): Promise<NativeConnection> {
  const options = temporalConnectionOptions(s);
  try {
    return await NativeConnection.connect(options);
  } catch (err) {
    const explained = explainTemporalError(s, err);
    if (explained instanceof ConnectionSetupError) throw explained;
    // rustls sometimes only sees the socket close ("broken pipe") where the server had refused
    // its client certificate: Node's handshake hears the alert.
    throw (await tlsProblem(s, options)) ?? explained;
  }
}
