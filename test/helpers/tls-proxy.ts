import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import http2, { ClientHttp2Session, Http2SecureServer, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';

// TLS-terminating proxies on 127.0.0.1 that put production's front door before the local dev
// services, which speak plaintext only: the Temporal dev server (gRPC over HTTP/2, ALPN h2) and
// Apicurio (HTTP). Each checks what the real service would (a client certificate, an API key,
// basic auth) and counts what it refused, so a test sees the check happen.

export interface TlsProxy {
  /** host:port to connect to. */
  address: string;
  port: number;
  /** Requests refused for a missing or wrong credential. */
  refused: number;
  /** Requests passed to the service. */
  forwarded: number;
  close(): Promise<void>;
}

export interface ProxyTls {
  cert: string;
  key: string;
  /** Require a client certificate signed by this CA (mTLS). */
  clientCa?: string;
}

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_FLAG_END_STREAM } = http2.constants;

async function listen(server: Http2SecureServer | HttpsServer, proxy: Omit<TlsProxy, 'address' | 'port'>): Promise<TlsProxy> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, { address: `127.0.0.1:${port}`, port });
}

function tlsOptions(tls: ProxyTls) {
  return { cert: tls.cert, key: tls.key, ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}) };
}

/** gRPC: every HTTP/2 stream is relayed to `target` (plaintext h2), headers, body and trailers. */
export async function startGrpcTlsProxy(o: { target: string; tls: ProxyTls; apiKey?: string }): Promise<TlsProxy> {
  let upstream: ClientHttp2Session | undefined;
  const session = () => {
    if (!upstream || upstream.closed || upstream.destroyed) {
      upstream = http2.connect(`http://${o.target}`);
      upstream.on('error', () => undefined);
    }
    return upstream;
  };
  const server = http2.createSecureServer({ ...tlsOptions(o.tls), allowHTTP1: false });
  server.on('tlsClientError', () => undefined);
  const proxy = {
    refused: 0,
    forwarded: 0,
    close: async () => {
      upstream?.destroy();
      server.close();
      // Worker polls are long-lived streams: end their sessions rather than wait them out.
      for (const s of sessions) s.destroy();
    },
  };
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    stream.on('error', () => undefined);
    if (o.apiKey !== undefined && headers.authorization !== `Bearer ${o.apiKey}`) {
      proxy.refused++;
      // What Temporal Cloud answers: gRPC status 16, in a trailers-only response.
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'Request unauthorized: invalid API key' }, { endStream: true });
      return;
    }
    proxy.forwarded++;
    const req = session().request({ ...headers });
    let trailers: http2.OutgoingHttpHeaders = {};
    req.on('response', (h, flags) => {
      if (stream.closed) return;
      if (flags & NGHTTP2_FLAG_END_STREAM) stream.respond(h, { endStream: true });
      else {
        stream.respond(h, { waitForTrailers: true });
        req.pipe(stream);
      }
    });
    req.on('trailers', (t) => (trailers = t));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    req.on('error', () => !stream.closed && stream.close(NGHTTP2_INTERNAL_ERROR));
    stream.on('close', () => !req.closed && req.close(NGHTTP2_CANCEL));
    stream.pipe(req);
  });
  return listen(server, proxy);
}

/** HTTP: every request is relayed to `target` (http://host:port); with `basicAuth`, only with that Authorization header. */
export async function startHttpsProxy(o: { target: string; tls: ProxyTls; basicAuth?: { username: string; password: string } }): Promise<TlsProxy> {
  const expected = o.basicAuth && `Basic ${Buffer.from(`${o.basicAuth.username}:${o.basicAuth.password}`).toString('base64')}`;
  const target = new URL(o.target);
  const proxy = { refused: 0, forwarded: 0, close: async () => void server.close() };
  const server = createHttpsServer(tlsOptions(o.tls), (req, res) => {
    if (expected && req.headers.authorization !== expected) {
      proxy.refused++;
      res.writeHead(401, { 'www-authenticate': 'Basic realm="schema-registry"', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 401, message: 'Unauthorized' }));
      return;
    }
    proxy.forwarded++;
    const up = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, host: target.host } }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  server.on('tlsClientError', () => undefined);
  server.keepAliveTimeout = 1_000;
  return listen(server, proxy);
}
