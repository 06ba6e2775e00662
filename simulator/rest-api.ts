import { IncomingMessage, ServerResponse } from 'node:http';
import { FaultState } from './faults';
import { timeIn, units } from './frames';
import { SymbolMarket } from './market';
import { MinuteWeight } from '../lib/rate-window';

export interface RestLimits {
  /** REQUEST_WEIGHT per minute per IP (Binance: 6000). */
  weightPerMinute: number;
  /** Requests a client may still send after a 429 before it is banned with 418. */
  requestsAfter429BeforeBan: number;
  banMs: number;
}

// Weights as Binance documents them today (reference/binance.md §7).
const WEIGHTS: Record<string, number> = {
  '/api/v3/ping': 1,
  '/api/v3/time': 1,
  '/api/v3/exchangeInfo': 20,
  '/api/v3/trades': 25,
  '/api/v3/historicalTrades': 25,
  '/api/v3/aggTrades': 4,
  // Every symbol at once; one symbol weighs 2.
  '/api/v3/ticker/24hr': 80,
};

interface ClientState {
  weight: MinuteWeight;
  after429: number;
  bannedUntil: number;
}

type Json = Record<string, unknown> | unknown[];

class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function intParam(q: URLSearchParams, name: string, fallback?: number): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new RestError(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`);
  return Number(raw);
}

/** Binance's spot market-data REST endpoints over the simulator's ledger, with request weights. */
export class RestApi {
  private readonly clients = new Map<string, ClientState>();
  requests = 0;

  constructor(
    private readonly markets: Map<string, SymbolMarket>,
    private readonly limits: RestLimits,
    private readonly faults: FaultState,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    const now = Date.now();
    const url = new URL(req.url ?? '/', 'http://simulator');
    const weight = url.pathname === '/api/v3/ticker/24hr' && url.searchParams.has('symbol') ? 2 : WEIGHTS[url.pathname];
    if (weight === undefined) return this.send(res, 404, { code: -1000, msg: `Unknown endpoint ${url.pathname}` });

    const ip = req.socket.remoteAddress ?? 'unknown';
    const client = this.clients.get(ip) ?? { weight: new MinuteWeight(), after429: 0, bannedUntil: 0 };
    this.clients.set(ip, client);

    if (now < client.bannedUntil) {
      const left = Math.ceil((client.bannedUntil - now) / 1000);
      return this.send(res, 418, { code: -1003, msg: `Way too much request weight used; IP banned until ${client.bannedUntil}.` }, { 'Retry-After': String(left) });
    }
    const injected = this.faults.takeRestFault();
    if (injected) {
      const headers = injected.status === 429 || injected.status === 418 ? { 'Retry-After': String(injected.retryAfterSeconds) } : undefined;
      return this.send(res, injected.status, { code: -1003, msg: `Injected fault: HTTP ${injected.status}` }, headers);
    }
    const used = client.weight.add(now, weight);
    const usedHeader = { 'X-MBX-USED-WEIGHT-1M': String(used) };
    if (used > this.limits.weightPerMinute) {
      if (++client.after429 > this.limits.requestsAfter429BeforeBan) {
        client.bannedUntil = now + this.limits.banMs;
        client.after429 = 0;
        return this.send(res, 418, { code: -1003, msg: `Way too much request weight used; IP banned until ${client.bannedUntil}.` }, {
          ...usedHeader,
          'Retry-After': String(Math.ceil(this.limits.banMs / 1000)),
        });
      }
      return this.send(
        res,
        429,
        { code: -1003, msg: `Too much request weight used; current limit is ${this.limits.weightPerMinute} request weight per 1 MINUTE.` },
        { ...usedHeader, 'Retry-After': String(client.weight.secondsToReset(now)) },
      );
    }
    client.after429 = 0;
    try {
      const header = req.headers['x-mbx-time-unit'];
      this.send(res, 200, this.route(url, now, Array.isArray(header) ? header[0] : header), usedHeader);
    } catch (err) {
      if (err instanceof RestError) this.send(res, err.status, { code: err.code, msg: err.message }, usedHeader);
      else this.send(res, 500, { code: -1000, msg: 'An unknown error occurred while processing the request.' }, usedHeader);
    }
  }

  private market(q: URLSearchParams): SymbolMarket {
    const symbol = q.get('symbol');
    if (!symbol) throw new RestError(400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
    const market = this.markets.get(symbol);
    if (!market) throw new RestError(400, -1121, 'Invalid symbol.');
    return market;
  }

  private route(url: URL, now: number, timeUnitHeader: string | undefined): Json {
    const q = url.searchParams;
    // Binance takes the unit as the X-MBX-TIME-UNIT header; the query form is kept for curl.
    const unit = (timeUnitHeader ?? q.get('timeUnit') ?? '').toLowerCase() === 'microsecond' ? 'us' : 'ms';
    const limit = Math.min(1000, Math.max(1, intParam(q, 'limit', 500)!));
    switch (url.pathname) {
      case '/api/v3/ping':
        return {};
      case '/api/v3/time':
        return { serverTime: now };
      case '/api/v3/exchangeInfo':
        return this.exchangeInfo(now);
      case '/api/v3/trades': {
        const m = this.market(q);
        return m.ledger.range(m.ledger.lastId - limit + 1, limit).map((t) => this.tradeRow(t, unit));
      }
      case '/api/v3/historicalTrades': {
        const m = this.market(q);
        const fromId = intParam(q, 'fromId') ?? m.ledger.lastId - limit + 1;
        return m.ledger.range(fromId, limit).map((t) => this.tradeRow(t, unit));
      }
      case '/api/v3/aggTrades':
        return this.aggTrades(this.market(q), q, limit, unit);
      case '/api/v3/ticker/24hr':
        return q.has('symbol') ? this.ticker(this.market(q), now) : [...this.markets.values()].map((m) => this.ticker(m, now));
    }
    throw new RestError(404, -1000, 'Unknown endpoint');
  }

  private tradeRow(t: { id: number; priceUnits: number; qtyUnits: number; timeUs: number; buyerMaker: boolean }, unit: 'ms' | 'us') {
    return {
      id: t.id,
      price: units(t.priceUnits),
      qty: units(t.qtyUnits),
      quoteQty: units(Math.round((t.priceUnits * t.qtyUnits) / 1e8)),
      time: timeIn(unit, t.timeUs),
      isBuyerMaker: t.buyerMaker,
      isBestMatch: true,
    };
  }

  private aggTrades(m: SymbolMarket, q: URLSearchParams, limit: number, unit: 'ms' | 'us'): Json {
    const fromId = intParam(q, 'fromId');
    const startTime = intParam(q, 'startTime');
    const endTime = intParam(q, 'endTime');
    const toUs = (t: number) => (unit === 'us' ? t : t * 1000);
    let aggId: number;
    if (fromId !== undefined) aggId = Math.max(fromId, m.ledger.oldestRetainedAggId);
    else if (startTime !== undefined) {
      const tradeId = m.ledger.firstIdAtOrAfter(toUs(startTime));
      if (tradeId === undefined) return [];
      aggId = m.ledger.get(tradeId)!.aggId;
    } else aggId = Math.max(m.ledger.oldestRetainedAggId, m.ledger.lastAggId - limit + 1);
    const rows: unknown[] = [];
    for (; aggId <= m.ledger.lastAggId && rows.length < limit; aggId++) {
      const a = m.ledger.getAggregate(aggId);
      if (!a) continue;
      if (endTime !== undefined && a.trade.timeUs > toUs(endTime) + (unit === 'us' ? 0 : 999)) break;
      rows.push({
        a: a.aggId,
        p: units(a.trade.priceUnits),
        q: units(a.qtyUnits),
        f: a.firstId,
        l: a.lastId,
        T: timeIn(unit, a.trade.timeUs),
        m: a.trade.buyerMaker,
        M: true,
      });
    }
    return rows;
  }

  private exchangeInfo(now: number): Json {
    return {
      timezone: 'UTC',
      serverTime: now,
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: this.limits.weightPerMinute },
        { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
      ],
      exchangeFilters: [],
      symbols: [...this.markets.values()].map(({ spec, status }) => ({
        symbol: spec.symbol,
        status,
        baseAsset: spec.base,
        baseAssetPrecision: 8,
        quoteAsset: spec.quote,
        quotePrecision: 8,
        quoteAssetPrecision: 8,
        orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
        isSpotTradingAllowed: true,
        permissions: [],
        permissionSets: [['SPOT']],
        filters: [
          { filterType: 'PRICE_FILTER', minPrice: units(spec.tickUnits), maxPrice: '1000000.00000000', tickSize: units(spec.tickUnits) },
          { filterType: 'LOT_SIZE', minQty: units(spec.lotUnits), maxQty: '9000.00000000', stepSize: units(spec.lotUnits) },
        ],
      })),
    };
  }

  /**
   * A day of the symbol's trading at its mean rate: `count` is what a client plans by (a fleet
   * balances its shards on it), so it says the configured rate rather than what a young
   * simulator has generated so far.
   */
  private ticker(m: SymbolMarket, now: number): Json {
    const count = m.status === 'TRADING' ? Math.round(m.spec.rate * 86_400) : 0;
    const traded = m.ledger.lastId >= m.ledger.firstId;
    const last = units(traded ? (m.ledger.get(m.ledger.lastId)?.priceUnits ?? m.spec.startPriceUnits) : m.spec.startPriceUnits);
    return {
      symbol: m.spec.symbol,
      lastPrice: last,
      openTime: now - 86_400_000,
      closeTime: now,
      // The ids are the ledger's own: a client compares lastId with its cursor to skip quiet symbols.
      firstId: traded ? Math.max(m.ledger.firstId, m.ledger.lastId - count + 1) : -1,
      lastId: traded ? m.ledger.lastId : -1,
      count,
    };
  }

  private send(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }
}
