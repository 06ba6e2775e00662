import { AddressInfo, connect, createServer } from 'node:net';
import { tailOf } from './process-control';

export class InfraError extends Error {
  constructor(
    readonly part: string,
    reason: string,
    readonly logFile?: string,
  ) {
    // The log's last lines travel with the error, so a CI transcript shows the cause.
    super(`${part}: ${reason}${logFile ? ` (log: ${logFile}; it ends:\n${tailOf(logFile, 10)})` : ''}`);
    this.name = 'InfraError';
  }
}

/** A port nothing listens on right now, for a service that is told its port. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
      .once('error', reject)
      .listen(0, host, () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
  });
}

export function tcpOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function httpOk(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Polls `probe` until it answers true. `alive` lets a crashed process fail fast instead of
 * waiting out the whole timeout.
 */
export async function waitUntil(
  part: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; alive?: () => boolean; logFile?: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (options.alive && !options.alive()) throw new InfraError(part, 'process exited before it was ready', options.logFile);
    if (Date.now() > deadline) {
      throw new InfraError(part, `not ready after ${Math.round(options.timeoutMs / 1000)} s`, options.logFile);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}
