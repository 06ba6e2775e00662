import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, Server } from 'node:tls';
import { classifyConnectionError } from '../../../lib/connection-errors';
import { probeTls } from '../../../lib/tls-probe';
import { TestCa } from '../../helpers/test-pki';

// A real handshake against a local TLS server: what the probe hears is what grpc-js would hide.
const dir = mkdtempSync(join(tmpdir(), 'k2-probe-'));
const ca = new TestCa(join(dir, 'ca'), 'probe CA');
const other = new TestCa(join(dir, 'other'), 'other CA');
const server = ca.issue('server', { names: ['127.0.0.1'] });
const client = ca.issue('client', { client: true });
const servers: Server[] = [];

async function serve(requireClientCert: boolean): Promise<string> {
  const s = createServer({ cert: server.cert, key: server.key, ...(requireClientCert ? { ca: ca.pem, requestCert: true, rejectUnauthorized: true } : {}) }, (socket) =>
    socket.on('error', () => undefined),
  );
  s.on('tlsClientError', () => undefined);
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  servers.push(s);
  return `127.0.0.1:${(s.address() as { port: number }).port}`;
}

afterAll(() => servers.forEach((s) => s.close()));

test('a trusted server passes; an untrusted one or a missing client certificate is named', async () => {
  const plain = await serve(false);
  const mtls = await serve(true);
  expect(await probeTls(plain, { ca: [ca.pem] })).toBeUndefined();
  expect(classifyConnectionError(await probeTls(plain, { ca: [other.pem] }))).toBe('untrusted_certificate');
  expect(classifyConnectionError(await probeTls(plain, { ca: [ca.pem], checkServerIdentity: () => new Error('Hostname/IP does not match certificate\'s altnames') }))).toBe('hostname_mismatch');
  expect(classifyConnectionError(await probeTls(mtls, { ca: [ca.pem] }))).toBe('client_certificate_refused');
  expect(await probeTls(mtls, { ca: [ca.pem], cert: client.cert, key: client.key })).toBeUndefined();
});

test('a closed port is not a TLS problem', async () => {
  const err = await probeTls('127.0.0.1:1', {});
  expect(classifyConnectionError(err)).toBeUndefined();
});
