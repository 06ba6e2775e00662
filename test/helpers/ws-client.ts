import { WebSocket, ClientOptions } from 'ws';

/** A plain `ws` client that records what it receives; no project code in between. */
export class RecordingClient {
  readonly messages: string[] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<number>;
  readonly ws: WebSocket;

  constructor(url: string, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data) => this.messages.push(data.toString()));
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve(code);
      }),
    );
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  json<T = Record<string, unknown>>(): T[] {
    return this.messages.map((m) => JSON.parse(m) as T);
  }

  /** Waits until `predicate` holds over the messages so far, or fails after `timeoutMs`. */
  async until(predicate: (messages: string[]) => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms (${this.messages.length} messages)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a JSON request and resolves with the reply carrying the same id. */
  async request(body: Record<string, unknown>, timeoutMs = 2_000): Promise<Record<string, unknown>> {
    const from = this.messages.length;
    this.ws.send(JSON.stringify(body));
    let reply: Record<string, unknown> | undefined;
    await this.until((ms) => {
      for (const m of ms.slice(from)) {
        const parsed = JSON.parse(m) as Record<string, unknown>;
        if ('result' in parsed || 'error' in parsed) {
          reply = parsed;
          return true;
        }
      }
      return false;
    }, timeoutMs);
    return reply!;
  }

  close(): void {
    this.ws.terminate();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Clients of one server, all closed by `closeAll` (call it in afterEach). */
export function clientPool(baseUrl: () => string) {
  const open: RecordingClient[] = [];
  return {
    open,
    client(path: string, options: ClientOptions = {}): RecordingClient {
      const c = new RecordingClient(`${baseUrl()}${path}`, options);
      open.push(c);
      return c;
    },
    closeAll(): void {
      open.splice(0).forEach((c) => c.close());
    },
  };
}
