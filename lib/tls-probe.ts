import { connect, ConnectionOptions } from 'node:tls';

/**
 * One TLS handshake with the options a client will use, to learn why it fails: grpc-js retries a
 * failed handshake until its deadline and then reports only "Failed to connect before the
 * deadline". Resolves with the handshake's error, or undefined when it went through (or the
 * server did not answer in time: that is not a TLS problem). A server that refuses the client's
 * certificate says so just after the handshake (TLS 1.3), hence the short wait after it.
 */
export function probeTls(address: string, options: ConnectionOptions, o: { timeoutMs?: number; settleMs?: number } = {}): Promise<Error | undefined> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port, ...options });
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(err);
    };
    const timer = setTimeout(() => done(), o.timeoutMs ?? 3_000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      setTimeout(() => done(), o.settleMs ?? 250);
    });
    socket.once('error', (err) => done(err));
  });
}
