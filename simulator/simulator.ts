import { createServer as createHttpServer, IncomingMessage, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { createLogger } from '../lib/logger';
import { startControlServer } from './control-server';
import { Fault, FaultState } from './faults';
import { aggTradePayload, TimeUnit, tradePayload } from './frames';
import { firstIdFor, GeneratedAggregate, RateProfile, SymbolMarket, symbolSpec } from './market';
import { seededRandom } from './random';
import { RestApi, RestLimits } from './rest-api';
import { SlidingWindow } from '../lib/rate-window';
import { generateTls, TlsMode } from './tls';
import { ConnectionLimits, SimConnection, STREAM_NAME } from './ws-connection';

export interface SimulatorOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Port of the HTTP control endpoint; undefined runs none, 0 picks a free one. */
  controlPort?: number;
  symbols: { symbol: string; rate: number; profile?: RateProfile }[];
  tls?: TlsMode;
  tlsDir?: string;
  limits: ConnectionLimits;
  rest: RestLimits;
  connectionAttempts: { limit: number; windowMs: number };
  /** Trades kept per symbol for REST history; older ids are gone, as a test of unfillable gaps needs. */
  retention: number;
  tickMs: number;
  seed: number;
  firstIds: 'hash' | 'time';
  /** Every symbol's rate times this: the same market, N times busier (soak runs at 10x). */
  acceleration: number;
  /**
   * Each symbol has traded once before the simulator starts, as a listed market has: its
   * ticker/24hr has a last id from the first moment (a whole-market universe; off by default,
   * so tests that count from the first id keep their ledger).
   */
  history?: boolean;
}

export function simulatorOptions(overrides: Partial<SimulatorOptions> = {}): SimulatorOptions {
  return {
    host: '127.0.0.1',
    port: 0,
    symbols: ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'].map((symbol) => ({ symbol, rate: 10 })),
    limits: {
      pingIntervalMs: 20_000,
      pongTimeoutMs: 60_000,
      maxLifetimeMs: 24 * 3600_000,
      maxIncomingPerSecond: 5,
      maxStreams: 1024,
      maxBufferedBytes: 64 * 1024 * 1024,
    },
    rest: { weightPerMinute: 6000, requestsAfter429BeforeBan: 5, banMs: 120_000 },
    connectionAttempts: { limit: 300, windowMs: 5 * 60_000 },
    retention: 200_000,
    tickMs: 10,
    seed: 42,
    firstIds: 'hash',
    acceleration: 1,
    ...overrides,
  };
}

export interface SimulatorUrls {
  ws: string;
  rest: string;
  control?: string;
  caFile?: string;
}

export interface SimulatorStats {
  connections: number;
  messagesSent: number;
  messagesPerSecond: number;
  /** Trades generated in the last second, whether or not anyone is connected. */
  tradesPerSecond: number;
  acceleration: number;
  restRequests: number;
  generated: Record<string, { firstId: number; lastId: number; oldestRetainedId: number }>;
}

const log = createLogger('simulator');

// A combined-stream URL of 1,024 streams is ~25 KB, past Node's 16 KB default.
const MAX_HEADER_BYTES = 64 * 1024;

function nowUs(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** A Binance-compatible exchange: market streams, REST history, limits, faults and ground truth. */
export class BinanceSimulator {
  readonly markets = new Map<string, SymbolMarket>();
  readonly faults = new FaultState();
  readonly connections = new Set<SimConnection>();
  readonly urls: SimulatorUrls = { ws: '', rest: '' };
  private readonly rest: RestApi;
  private readonly attempts = new Map<string, SlidingWindow>();
  private server!: Server;
  private wss!: WebSocketServer;
  private control?: Server;
  private tickTimer?: NodeJS.Timeout;
  private statsTimer?: NodeJS.Timeout;
  private readonly started = Date.now();
  private lastTick = Date.now();
  private paused = false;
  private sentTotal = 0;
  private sentAtLastSample = 0;
  private rate = 0;
  private generatedTotal = 0;
  private generatedAtLastSample = 0;
  private generatedRate = 0;
  private acceleration: number;

  constructor(readonly options: SimulatorOptions) {
    this.acceleration = options.acceleration;
    const random = seededRandom(options.seed);
    for (const s of options.symbols) {
      const spec = symbolSpec(s.symbol, s.rate, s.profile);
      this.markets.set(spec.symbol, new SymbolMarket(spec, firstIdFor(spec.symbol, options.firstIds), options.retention, random));
    }
    if (options.history) for (const m of this.markets.values()) m.generateOne(nowUs());
    this.rest = new RestApi(this.markets, options.rest, this.faults);
  }

  async start(): Promise<SimulatorUrls> {
    const o = this.options;
    const handler = this.rest.handle.bind(this.rest);
    if (o.tls) {
      const tls = generateTls(o.tls, o.tlsDir ?? join(tmpdir(), `k2-simulator-tls-${process.pid}-${Date.now()}`));
      this.server = createHttpsServer({ key: tls.key, cert: tls.cert, maxHeaderSize: MAX_HEADER_BYTES }, handler);
      this.urls.caFile = tls.caFile;
    } else {
      this.server = createHttpServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler);
    }
    this.wss = new WebSocketServer({ noServer: true, autoPong: false, maxPayload: 64 * 1024 });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(o.port, o.host, resolve);
    });
    const { port } = this.server.address() as AddressInfo;
    const host = o.tls ? 'localhost' : o.host;
    this.urls.ws = `${o.tls ? 'wss' : 'ws'}://${host}:${port}`;
    this.urls.rest = `${o.tls ? 'https' : 'http'}://${host}:${port}`;
    if (o.controlPort !== undefined) {
      this.control = await startControlServer(this, o.host, o.controlPort);
      this.urls.control = `http://${o.host}:${(this.control.address() as AddressInfo).port}`;
    }
    this.lastTick = Date.now();
    this.tickTimer = setInterval(() => this.tick(), o.tickMs);
    this.statsTimer = setInterval(() => {
      this.rate = this.sentTotal - this.sentAtLastSample;
      this.sentAtLastSample = this.sentTotal;
      this.generatedRate = this.generatedTotal - this.generatedAtLastSample;
      this.generatedAtLastSample = this.generatedTotal;
    }, 1000);
    log.info({ event: 'sim.started', ...this.urls, symbols: [...this.markets.keys()] });
    return this.urls;
  }

  async stop(): Promise<void> {
    clearInterval(this.tickTimer);
    clearInterval(this.statsTimer);
    for (const c of this.connections) c.ws.terminate();
    this.connections.clear();
    this.wss?.close();
    await Promise.all(
      [this.server, this.control].filter((s): s is Server => !!s).map((s) => new Promise<void>((r) => {
        s.closeAllConnections();
        s.close(() => r());
      })),
    );
  }

  /** Stops generating trades, so a test can compare what was written with a fixed ground truth. */
  pauseMarket(): void {
    this.paused = true;
  }

  resumeMarket(): void {
    this.lastTick = Date.now();
    this.paused = false;
  }

  setRate(rate: number, symbol?: string): void {
    for (const m of this.markets.values()) if (!symbol || m.spec.symbol === symbol) m.spec.rate = rate;
  }

  /** A new listing (or a delisted symbol trading again): in exchangeInfo and ticker/24hr from now on. */
  list(symbol: string, rate: number, profile?: RateProfile): void {
    const existing = this.markets.get(symbol.toUpperCase());
    if (existing) {
      existing.status = 'TRADING';
      existing.spec.rate = rate;
      return;
    }
    const spec = symbolSpec(symbol, rate, profile);
    const random = seededRandom(this.options.seed + this.markets.size);
    this.markets.set(spec.symbol, new SymbolMarket(spec, firstIdFor(spec.symbol, this.options.firstIds), this.options.retention, random));
    log.info({ event: 'sim.listed', symbol: spec.symbol, rate });
  }

  /** Delisting: the symbol stops trading and exchangeInfo says BREAK; its history and ground truth stay. */
  delist(symbol: string): boolean {
    const m = this.markets.get(symbol.toUpperCase());
    if (!m) return false;
    m.status = 'BREAK';
    log.info({ event: 'sim.delisted', symbol: m.spec.symbol, lastId: m.ledger.lastId });
    return true;
  }

  setAcceleration(factor: number): void {
    this.acceleration = factor;
  }

  /** Ground truth: the ids a symbol has generated, in all or in a trade-time range. */
  groundTruth(symbol: string, fromMs?: number, toMs?: number): { firstId: number; lastId: number } | undefined {
    const m = this.markets.get(symbol);
    if (!m) return undefined;
    if (fromMs === undefined && toMs === undefined) {
      return m.ledger.lastId >= m.ledger.firstId ? { firstId: m.ledger.firstId, lastId: m.ledger.lastId } : undefined;
    }
    return m.ledger.idsBetween((fromMs ?? 0) * 1000, (toMs ?? Date.now()) * 1000 + 999);
  }

  stats(): SimulatorStats {
    const generated: SimulatorStats['generated'] = {};
    for (const [s, m] of this.markets) {
      generated[s] = { firstId: m.ledger.firstId, lastId: m.ledger.lastId, oldestRetainedId: m.ledger.oldestRetainedId };
    }
    return {
      connections: this.connections.size,
      messagesSent: this.sentTotal,
      messagesPerSecond: this.rate,
      tradesPerSecond: this.generatedRate,
      acceleration: this.acceleration,
      restRequests: this.rest.requests,
      generated,
    };
  }

  inject(fault: Fault): void {
    const now = Date.now();
    log.info({ event: 'sim.fault', fault: fault.type, ...fault });
    switch (fault.type) {
      case 'reset':
        for (const c of [...this.connections]) c.reset();
        return;
      case 'close':
        for (const c of this.connections) c.close(fault.code ?? 1000, fault.reason ?? '');
        return;
      case 'stall':
        this.faults.stallUntil = FaultState.untilFrom(now, fault.ms);
        return;
      case 'no-pong':
        this.faults.noPongUntil = FaultState.untilFrom(now, fault.ms);
        return;
      case 'no-ping':
        this.faults.noPingUntil = FaultState.untilFrom(now, fault.ms);
        return;
      case 'malformed':
        for (const c of this.connections) for (let i = 0; i < (fault.count ?? 1); i++) c.sendMalformed(fault.kind);
        return;
      case 'refuse':
        this.faults.refuseUntil = now + fault.ms;
        return;
      case 'rest':
        this.faults.rest = { status: fault.status, remaining: fault.count ?? 1, retryAfterSeconds: fault.retryAfterSeconds ?? 1 };
        return;
      case 'server-shutdown':
        for (const c of this.connections) c.sendServerShutdown();
        if (fault.closeAfterMs !== undefined) {
          const targets = [...this.connections];
          setTimeout(() => targets.forEach((c) => c.close(1001, 'Server shutdown')), fault.closeAfterMs);
        }
        return;
      case 'clear':
        this.faults.clear();
        return;
    }
  }

  private refuse(socket: Socket, status: string): void {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const now = Date.now();
    const ip = socket.remoteAddress ?? 'unknown';
    const window = this.attempts.get(ip) ?? new SlidingWindow(this.options.connectionAttempts.windowMs);
    this.attempts.set(ip, window);
    if (window.hit(now) > this.options.connectionAttempts.limit) return this.refuse(socket, '429 Too Many Requests');
    if (now < this.faults.refuseUntil) return this.refuse(socket, '503 Service Unavailable');

    const url = new URL(req.url ?? '/', 'http://simulator');
    let streams: string[];
    let combined: boolean;
    if (url.pathname === '/stream') {
      streams = (url.searchParams.get('streams') ?? '').split('/').filter(Boolean);
      combined = true;
    } else if (url.pathname === '/ws' || url.pathname.startsWith('/ws/')) {
      streams = url.pathname.slice(4).split('/').filter(Boolean);
      combined = false;
    } else {
      return this.refuse(socket, '404 Not Found');
    }
    const unitParam = (url.searchParams.get('timeUnit') ?? 'millisecond').toLowerCase();
    if (unitParam !== 'millisecond' && unitParam !== 'microsecond') return this.refuse(socket, '400 Bad Request');
    const unit: TimeUnit = unitParam === 'microsecond' ? 'us' : 'ms';
    if (streams.length > this.options.limits.maxStreams || !streams.every((s) => STREAM_NAME.test(s))) {
      return this.refuse(socket, '400 Bad Request');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new SimConnection(ws, socket, streams, combined, unit, this.options.limits, this.faults, log, (c) =>
        this.connections.delete(c),
      );
      this.connections.add(conn);
      log.debug({ event: 'sim.ws.connected', connection: conn.id, streams, combined });
    });
  }

  private tick(): void {
    const now = Date.now();
    const dt = now - this.lastTick;
    this.lastTick = now;
    if (this.paused || dt <= 0) return;
    const generated: GeneratedAggregate[] = [];
    const tUs = nowUs();
    for (const m of this.markets.values()) m.generate(dt, now - this.started, tUs, generated, this.acceleration);
    for (const a of generated) this.generatedTotal += a.lastId - a.firstId + 1;
    if (generated.length) this.fanOut(generated, tUs);
  }

  private fanOut(aggregates: GeneratedAggregate[], eventUs: number): void {
    for (const c of this.connections) {
      if (c.streams.size === 0 || c.isStalled) continue;
      const before = c.sent;
      // One write per tick instead of one per frame.
      c.socket.cork();
      for (const a of aggregates) {
        const lower = a.symbol.toLowerCase();
        const tradeStream = `${lower}@trade`;
        if (c.wants(tradeStream)) {
          for (let i = 0; i < a.qtyUnits.length; i++) {
            const trade = { symbol: a.symbol, id: a.firstId + i, priceUnits: a.priceUnits, qtyUnits: a.qtyUnits[i], timeUs: a.timeUs, buyerMaker: a.buyerMaker };
            c.sendEvent(tradeStream, tradePayload(trade, eventUs, c.unit));
          }
        }
        const aggStream = `${lower}@aggTrade`;
        if (c.wants(aggStream)) {
          const qtyUnits = a.qtyUnits.reduce((s, q) => s + q, 0);
          c.sendEvent(aggStream, aggTradePayload({ ...a, qtyUnits }, eventUs, c.unit));
        }
      }
      process.nextTick(() => c.socket.uncork());
      this.sentTotal += c.sent - before;
    }
  }
}

export async function startSimulator(overrides: Partial<SimulatorOptions> = {}): Promise<BinanceSimulator> {
  const sim = new BinanceSimulator(simulatorOptions(overrides));
  await sim.start();
  return sim;
}
