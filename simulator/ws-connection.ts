import { Socket } from 'node:net';
import { RawData, WebSocket } from 'ws';
import { Logger } from '../lib/logger';
import { FaultState, malformedPayload, MalformedKind } from './faults';
import { combined, serverShutdownPayload, TimeUnit } from './frames';
import { SlidingWindow } from '../lib/rate-window';

export interface ConnectionLimits {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  maxLifetimeMs: number;
  maxIncomingPerSecond: number;
  maxStreams: number;
  /** A client this far behind is cut off; Binance queues for lagging clients, up to a point. */
  maxBufferedBytes: number;
}

export const STREAM_NAME = /^([a-z0-9]+)@(trade|aggTrade)$/;
const METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY'];

type RequestId = number | string | null;

function validId(id: unknown): id is RequestId {
  return id === null || (typeof id === 'number' && Number.isSafeInteger(id)) || (typeof id === 'string' && /^[A-Za-z0-9]{1,36}$/.test(id));
}

let nextConnectionId = 1;

/** One client connection with Binance's rules: limits, heartbeat, lifetime, live subscriptions. */
export class SimConnection {
  readonly id = nextConnectionId++;
  readonly streams = new Set<string>();
  readonly openedAt = Date.now();
  sent = 0;
  private readonly incoming = new SlidingWindow(1000);
  private readonly timer: NodeJS.Timeout;
  private lastPingAt = Date.now();
  private unansweredSince: number | undefined;
  private closed = false;

  constructor(
    readonly ws: WebSocket,
    readonly socket: Socket,
    initialStreams: string[],
    public combined: boolean,
    readonly unit: TimeUnit,
    private readonly limits: ConnectionLimits,
    private readonly faults: FaultState,
    private readonly log: Logger,
    private readonly onClose: (c: SimConnection) => void,
  ) {
    for (const s of initialStreams) this.streams.add(s);
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('ping', (data) => {
      if (!this.countIncoming()) return;
      if (Date.now() >= this.faults.noPongUntil) ws.pong(data);
    });
    ws.on('pong', () => {
      if (!this.countIncoming()) return;
      this.unansweredSince = undefined;
    });
    ws.on('error', (err) => this.log.debug({ event: 'sim.ws.error', connection: this.id, err: err.message }));
    ws.on('close', () => this.finish());
    this.timer = setInterval(() => this.heartbeat(), Math.min(1000, limits.pingIntervalMs));
  }

  get isStalled(): boolean {
    return Date.now() < this.faults.stallUntil;
  }

  wants(stream: string): boolean {
    return this.streams.has(stream);
  }

  /** Sends one event of `stream`, wrapped when the connection is combined. */
  sendEvent(stream: string, payload: string): void {
    if (this.closed || this.isStalled) return;
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.log.warn({ event: 'sim.ws.slow-consumer', connection: this.id, buffered: this.ws.bufferedAmount });
      this.ws.terminate();
      return;
    }
    this.ws.send(this.combined ? combined(stream, payload) : payload);
    this.sent++;
  }

  sendServerShutdown(): void {
    const payload = serverShutdownPayload(Date.now() * 1000, this.unit);
    this.ws.send(this.combined ? combined('!serverShutdown', payload) : payload);
  }

  sendMalformed(kind: MalformedKind): void {
    const stream = [...this.streams][0] ?? 'btcusdt@trade';
    const symbol = stream.split('@')[0].toUpperCase();
    const payload = malformedPayload(kind, symbol, Date.now());
    // A truncated JSON frame stays truncated whether or not the connection is combined.
    this.ws.send(this.combined && kind !== 'json' ? combined(stream, payload) : payload);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** An abrupt TCP reset: no close frame, the client sees 1006. */
  reset(): void {
    this.socket.resetAndDestroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.onClose(this);
  }

  /** Binance counts every frame a client sends, pings and pongs included; too many closes with 1008. */
  private countIncoming(): boolean {
    if (this.incoming.hit(Date.now()) > this.limits.maxIncomingPerSecond) {
      this.log.info({ event: 'sim.ws.too-many-messages', connection: this.id });
      this.ws.close(1008, 'Too many requests');
      return false;
    }
    return true;
  }

  private heartbeat(): void {
    const now = Date.now();
    if (now - this.openedAt >= this.limits.maxLifetimeMs) {
      this.log.info({ event: 'sim.ws.lifetime-expired', connection: this.id });
      this.ws.close(1001, 'Connection lifetime expired');
      this.finish();
      return;
    }
    if (this.unansweredSince !== undefined && now - this.unansweredSince > this.limits.pongTimeoutMs) {
      this.log.info({ event: 'sim.ws.pong-timeout', connection: this.id });
      this.ws.terminate();
      this.finish();
      return;
    }
    if (now - this.lastPingAt >= this.limits.pingIntervalMs && now >= this.faults.noPingUntil) {
      this.lastPingAt = now;
      this.unansweredSince ??= now;
      this.ws.ping(String(now));
    }
  }

  private reply(id: RequestId, result: unknown): void {
    this.ws.send(JSON.stringify({ result, id }));
  }

  private error(id: RequestId, code: number, msg: string): void {
    this.ws.send(JSON.stringify({ error: { code, msg }, id }));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (!this.countIncoming()) return;
    const text = isBinary ? '' : data.toString();
    let req: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      req = parsed as Record<string, unknown>;
    } catch {
      this.error(null, 3, 'Invalid JSON: expected value at line 1 column 1');
      return;
    }
    const id = req.id ?? null;
    if (!validId(id)) return this.error(null, 2, 'Invalid request: request ID must be an unsigned integer');
    if (typeof req.method !== 'string') return this.error(id, 2, `Invalid request: missing field \`method\` at line 1 column ${text.length}`);
    if (!METHODS.includes(req.method)) {
      return this.error(
        id,
        2,
        `Invalid request: unknown variant \`${req.method}\`, expected one of ${METHODS.map((m) => `\`${m}\``).join(', ')} at line 1 column 28`,
      );
    }
    const params = req.params === undefined ? [] : req.params;
    if (!Array.isArray(params)) return this.error(id, 2, 'Invalid request: invalid type: expected a sequence');
    switch (req.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        if (!params.every((p) => typeof p === 'string' && STREAM_NAME.test(p))) {
          return this.error(id, 2, 'Invalid request: stream names must be lower-case <symbol>@trade or <symbol>@aggTrade');
        }
        if (req.method === 'SUBSCRIBE') {
          const after = new Set([...this.streams, ...(params as string[])]);
          if (after.size > this.limits.maxStreams) return this.error(id, 4, 'Too many subscriptions');
          for (const p of params as string[]) this.streams.add(p);
        } else {
          for (const p of params as string[]) this.streams.delete(p);
        }
        return this.reply(id, null);
      }
      case 'LIST_SUBSCRIPTIONS':
        if (params.length) return this.error(id, 2, 'Invalid request: too many parameters');
        return this.reply(id, [...this.streams]);
      case 'SET_PROPERTY':
        if (typeof params[0] !== 'string') return this.error(id, 2, 'Invalid request: property name must be a string');
        if (params[0] !== 'combined') return this.error(id, 0, 'Unknown property');
        if (typeof params[1] !== 'boolean') return this.error(id, 1, 'Invalid value type: expected Boolean');
        this.combined = params[1];
        return this.reply(id, null);
      case 'GET_PROPERTY':
        if (typeof params[0] !== 'string') return this.error(id, 2, 'Invalid request: property name must be a string');
        if (params[0] !== 'combined') return this.error(id, 0, 'Unknown property');
        return this.reply(id, this.combined);
    }
  }
}
