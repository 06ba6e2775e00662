import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import { createLogger } from '../logger';
import { metrics } from '../metrics';
import { SlidingWindow } from '../rate-window';
import { Backoff } from './backoff';
import { tlsOptions, TlsSettings } from './tls-options';

const log = createLogger('binance-socket');

export interface StreamSocketOptions {
  /** Base URLs tried in turn when one fails, e.g. wss://stream.binance.com:9443. */
  urls: string[];
  /** Stream names, e.g. btcusdt@trade; they go in the URL, so nothing is sent to subscribe. */
  streams: string[];
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** No frame for this long while reading: the connection is dead even if it looks open. */
  silenceTimeoutMs: number;
  maxPayload: number;
  backoff: { initialMs: number; maxMs: number };
  tls: TlsSettings;
  /** Binance allows 300 connection attempts per 5 minutes per IP. */
  connectAttempts?: { limit: number; windowMs: number };
  handshakeTimeoutMs?: number;
}

export type SocketState = 'idle' | 'connecting' | 'open' | 'paused' | 'waiting' | 'suspended' | 'stopped';

export interface StreamSocketEvents {
  open: [url: string];
  frame: [text: string, receivedAtMs: number];
  down: [reason: string, detail: string];
}

/** Why a connection ended, as binance_reconnects_total{reason} counts it. */
export function closeReason(code: number): string {
  switch (code) {
    case 1000:
      return 'server_close';
    case 1001:
      return 'server_going_away';
    case 1006:
      return 'abnormal_close';
    case 1008:
      return 'policy_violation';
    case 1009:
      return 'message_too_big';
    case 1011:
      return 'server_error';
    default:
      return `close_${code}`;
  }
}

/**
 * One combined-stream connection to Binance that keeps itself alive: client pings with a pong
 * deadline, a data-silence watchdog, reconnects with backoff across the configured URLs, and
 * pause/resume for backpressure. It never gives up; `stop()` is the only way out.
 */
export class BinanceStreamSocket extends EventEmitter<StreamSocketEvents> {
  private ws: WebSocket | undefined;
  private urlIndex = 0;
  private readonly backoff: Backoff;
  private readonly attempts: SlidingWindow;
  private pingTimer?: NodeJS.Timeout;
  private pongDeadline?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private lastDataAt = 0;
  private _state: SocketState = 'idle';
  connectedSince: number | undefined;
  lastError: string | undefined;
  currentUrl: string | undefined;

  constructor(private readonly o: StreamSocketOptions) {
    super();
    this.backoff = new Backoff(o.backoff.initialMs, o.backoff.maxMs);
    this.attempts = new SlidingWindow(o.connectAttempts?.windowMs ?? 5 * 60_000);
  }

  get state(): SocketState {
    return this._state;
  }

  start(): void {
    if (this._state !== 'idle') return;
    this.connect();
  }

  /** Stops reading: TCP backpressure reaches Binance. Pings and the watchdog wait too. */
  pause(): void {
    if (this._state !== 'open') return;
    this.ws?.pause();
    this._state = 'paused';
    clearTimeout(this.pongDeadline);
  }

  resume(): void {
    if (this._state === 'paused') {
      this.ws?.resume();
      this._state = 'open';
      this.lastDataAt = Date.now();
    } else if (this._state === 'suspended') {
      this.connect();
    }
  }

  /** Closes the connection and stays down until `resume()`: for a pause longer than Binance tolerates. */
  suspend(reason: string): void {
    this.drop(reason, 'suspended');
    this._state = 'suspended';
  }

  /** Closes the current connection and opens a new one at once (rotation, serverShutdown). */
  reconnect(reason: string): void {
    if (this._state === 'stopped') return;
    this.drop(reason, 'reconnect requested');
    this.connect();
  }

  async stop(): Promise<void> {
    this._state = 'stopped';
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.teardown();
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((r) => ws.once('close', () => r()));
      ws.close(1000, 'client stopping');
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1_000))]);
      ws.terminate();
    }
  }

  private url(): string {
    const base = this.o.urls[this.urlIndex % this.o.urls.length].replace(/\/+$/, '');
    return `${base}/stream?streams=${this.o.streams.join('/')}&timeUnit=MICROSECOND`;
  }

  private connect(): void {
    if (this._state === 'stopped') return;
    const limit = this.o.connectAttempts?.limit ?? 300;
    if (this.attempts.count(Date.now()) >= limit) {
      this._state = 'waiting';
      log.warn({ event: 'binance.connect-attempts-limited', limit });
      this.retryTimer = setTimeout(() => this.connect(), 1_000);
      return;
    }
    this.attempts.hit(Date.now());
    this._state = 'connecting';
    const url = this.url();
    this.currentUrl = url;
    log.info({ event: 'binance.connecting', url, attempt: this.backoff.attempts + 1 });
    const ws = new WebSocket(url, {
      maxPayload: this.o.maxPayload,
      handshakeTimeout: this.o.handshakeTimeoutMs ?? 10_000,
      perMessageDeflate: false,
      ...tlsOptions(this.o.tls),
    });
    this.ws = ws;
    let opened = false;
    ws.on('open', () => {
      opened = true;
      this._state = 'open';
      this.connectedSince = Date.now();
      this.lastDataAt = Date.now();
      this.lastError = undefined;
      metrics.connectionUp.set(1);
      log.info({ event: 'binance.connected', url });
      this.startTimers(ws);
      this.emit('open', url);
    });
    ws.on('message', (data, isBinary) => {
      if (ws !== this.ws) return;
      this.lastDataAt = Date.now();
      if (this.backoff.attempts) this.backoff.reset();
      this.emit('frame', isBinary ? '' : data.toString(), this.lastDataAt);
    });
    ws.on('pong', () => {
      metrics.pongsReceived.inc();
      clearTimeout(this.pongDeadline);
      this.pongDeadline = undefined;
      metrics.lastPong.set(Date.now() / 1000);
    });
    // An unhandled 'error' would crash the process (binance-connector-js#546).
    let tooBig = false;
    ws.on('error', (err: NodeJS.ErrnoException) => {
      this.lastError = err.code ? `${err.code}: ${err.message}` : err.message;
      // ws closes on a frame over maxPayload; the close code the peer echoes varies, the error does not.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') tooBig = true;
    });
    ws.on('close', (code, reasonBuf) => {
      if (ws !== this.ws) return;
      this.teardown();
      if (this._state === 'stopped' || this._state === 'suspended') return;
      const reason = tooBig ? 'message_too_big' : opened ? closeReason(code) : 'connect_failed';
      const detail = opened ? `${code} ${reasonBuf.toString()}`.trim() : (this.lastError ?? `closed ${code} before open`);
      if (!opened) this.urlIndex++; // fail over to the next URL
      this.scheduleReconnect(reason, detail);
    });
  }

  private scheduleReconnect(reason: string, detail: string): void {
    metrics.reconnects.inc({ reason });
    this.emit('down', reason, detail);
    const delay = this.backoff.next();
    this._state = 'waiting';
    const fields = { reason, detail, retryInMs: delay, attempt: this.backoff.attempts };
    if (reason === 'connect_failed') {
      log.warn({ event: 'binance.unreachable', url: this.currentUrl, ...fields }, `Binance unreachable (${detail}); retrying`);
    } else {
      log.warn({ event: 'binance.disconnected', ...fields });
    }
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private drop(reason: string, detail: string): void {
    clearTimeout(this.retryTimer);
    this.discard();
    metrics.reconnects.inc({ reason });
    log.info({ event: 'binance.reconnect', reason, detail });
    this.emit('down', reason, detail);
  }

  private startTimers(ws: WebSocket): void {
    this.pingTimer = setInterval(() => {
      if (this._state !== 'open' || this.pongDeadline) return;
      ws.ping();
      metrics.pingsSent.inc();
      this.pongDeadline = setTimeout(() => {
        metrics.pongTimeouts.inc();
        log.warn({ event: 'binance.pong-timeout', timeoutMs: this.o.pingTimeoutMs });
        this.reconnectAfterFailure(ws, 'pong_timeout', `no pong within ${this.o.pingTimeoutMs} ms`);
      }, this.o.pingTimeoutMs);
    }, this.o.pingIntervalMs);
    this.watchdog = setInterval(() => {
      metrics.connectionLifetime.set(this.connectedSince ? (Date.now() - this.connectedSince) / 1000 : 0);
      if (this._state !== 'open') return;
      const silentFor = Date.now() - this.lastDataAt;
      if (silentFor > this.o.silenceTimeoutMs) {
        log.warn({ event: 'binance.data-silence', silentForMs: silentFor });
        this.reconnectAfterFailure(ws, 'data_silence', `no data for ${silentFor} ms`);
      }
    }, Math.min(1_000, this.o.silenceTimeoutMs));
  }

  /** The link is dead though not closed: drop it and come back through the backoff. */
  private reconnectAfterFailure(ws: WebSocket, reason: string, detail: string): void {
    if (ws !== this.ws) return;
    this.discard();
    this.scheduleReconnect(reason, detail);
  }

  /** Lets the current connection go without waiting for its close: its late frames and close are ignored. */
  private discard(): void {
    const ws = this.ws;
    this.teardown();
    this.ws = undefined;
    if (!ws) return;
    ws.removeAllListeners('message');
    ws.on('close', () => undefined);
    ws.terminate();
  }

  private teardown(): void {
    clearInterval(this.pingTimer);
    clearInterval(this.watchdog);
    clearTimeout(this.pongDeadline);
    this.pongDeadline = undefined;
    if (this.connectedSince) metrics.connectionLifetime.set(0);
    this.connectedSince = undefined;
    metrics.connectionUp.set(0);
  }
}
