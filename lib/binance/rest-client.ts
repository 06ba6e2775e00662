import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { abortableSleep } from '../abortable-sleep';
import { createLogger } from '../logger';
import { metrics } from '../metrics';
import { MinuteWeight } from '../rate-window';
import { Backoff } from './backoff';
import { tlsOptions, TlsSettings } from './tls-options';
import { BinanceTrade, tradeFromRest } from './trade-frame';

const log = createLogger('binance-rest');

export const HISTORICAL_TRADES_WEIGHT = 25;
export const EXCHANGE_INFO_WEIGHT = 20;
/** ticker/24hr for every symbol at once (no `symbol` parameter). */
export const TICKER_24H_ALL_WEIGHT = 80;
/** Binance's REQUEST_WEIGHT per minute per IP today; the client keeps well below it. */
export const BINANCE_WEIGHT_LIMIT = 6000;

export interface RestClientOptions {
  baseUrls: string[];
  /** This client's own share of the IP's weight per minute. */
  weightBudgetPerMinute: number;
  /** The server's REQUEST_WEIGHT per minute per IP (Binance changed it before: 1200, then 6000). */
  serverWeightLimit?: number;
  tls: TlsSettings;
  timeoutMs?: number;
}

export class RestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Binance market-data REST for backfill: one request at a time, inside a weight budget of its
 * own, honouring X-MBX-USED-WEIGHT-1M and Retry-After on 429/418, failing over across base
 * URLs on network errors and 5xx. Retries until it succeeds or its caller aborts.
 */
export class BinanceRestClient {
  private readonly weight = new MinuteWeight();
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent: HttpsAgent;
  private urlIndex = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private serverUsed = 0;

  constructor(private readonly o: RestClientOptions) {
    this.httpsAgent = new HttpsAgent({ keepAlive: true, ...tlsOptions(o.tls) });
  }

  /** Trades from `fromId` on, at most `limit` (≤ 1000), times in microseconds. */
  historicalTrades(symbol: string, fromId: number, limit: number, signal?: AbortSignal): Promise<BinanceTrade[]> {
    const path = `/api/v3/historicalTrades?symbol=${symbol}&fromId=${fromId}&limit=${Math.min(1000, limit)}`;
    return this.serialized(async () => {
      const rows = JSON.parse(await this.get(path, HISTORICAL_TRADES_WEIGHT, signal)) as Record<string, unknown>[];
      if (!Array.isArray(rows)) throw new RestError(200, 'historicalTrades did not return an array');
      return rows.map((r) => {
        const trade = tradeFromRest(symbol, r);
        if (!trade) throw new RestError(200, `malformed historicalTrades row ${JSON.stringify(r).slice(0, 200)}`);
        return trade;
      });
    });
  }

  /** The exchange's symbols (exchangeInfo), as parsed JSON: the fleet reads a few fields of each. */
  exchangeSymbols<T>(signal?: AbortSignal): Promise<T[]> {
    return this.serialized(async () => {
      const body = JSON.parse(await this.get('/api/v3/exchangeInfo', EXCHANGE_INFO_WEIGHT, signal)) as { symbols?: T[] };
      if (!Array.isArray(body.symbols)) throw new RestError(200, 'exchangeInfo has no symbols array');
      return body.symbols;
    });
  }

  /** ticker/24hr rows of every symbol (one request, weight 80). */
  tickers24h<T>(signal?: AbortSignal): Promise<T[]> {
    return this.serialized(async () => {
      const rows = JSON.parse(await this.get('/api/v3/ticker/24hr', TICKER_24H_ALL_WEIGHT, signal)) as T[];
      if (!Array.isArray(rows)) throw new RestError(200, 'ticker/24hr did not return an array');
      return rows;
    });
  }

  /** The last trade id of every symbol from ticker/24hr (weight 80); -1 when it has none in 24 h. */
  async latestTradeIds(signal?: AbortSignal): Promise<Map<string, number>> {
    const rows = await this.tickers24h<{ symbol: string; lastId: number }>(signal);
    return new Map(rows.filter((r) => typeof r.lastId === 'number').map((r) => [r.symbol, r.lastId]));
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async get(path: string, weight: number, signal?: AbortSignal): Promise<string> {
    const backoff = new Backoff(500, 30_000);
    for (;;) {
      await this.waitForBudget(weight, signal);
      const base = this.o.baseUrls[this.urlIndex % this.o.baseUrls.length];
      let res: Response;
      try {
        res = await this.request(`${base}${path}`, signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        metrics.restRequests.inc({ status: 'error' });
        this.urlIndex++;
        const delay = backoff.next();
        log.warn({ event: 'rest.failed', base, err: (err as Error).message, retryInMs: delay });
        await abortableSleep(delay, signal);
        continue;
      }
      metrics.restRequests.inc({ status: String(res.status) });
      const used = Number(res.headers['x-mbx-used-weight-1m']);
      if (Number.isFinite(used)) {
        this.serverUsed = used;
        metrics.restWeight.set(used);
      }
      if (res.status === 200) return res.body;
      if (res.status === 429 || res.status === 418) {
        const retryAfter = Number(res.headers['retry-after']);
        const waitMs = (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 60) * 1000;
        log.warn({ event: res.status === 418 ? 'rest.banned' : 'rest.rate-limited', status: res.status, waitMs });
        await abortableSleep(waitMs, signal);
        continue;
      }
      if (res.status >= 500 || res.status === 403) {
        // 5xx: outcome unknown, not failed; 403: a WAF block on this host. Try the next one.
        this.urlIndex++;
        const delay = backoff.next();
        log.warn({ event: 'rest.server-error', status: res.status, retryInMs: delay });
        await abortableSleep(delay, signal);
        continue;
      }
      throw new RestError(res.status, `GET ${path}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    }
  }

  private async waitForBudget(weight: number, signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const overOwn = this.weight.current(now) + weight > this.o.weightBudgetPerMinute;
    const overServer = this.serverUsed + weight > (this.o.serverWeightLimit ?? BINANCE_WEIGHT_LIMIT) * 0.9;
    if (overOwn || overServer) {
      const waitMs = this.weight.secondsToReset(now) * 1000;
      log.info({ event: 'rest.budget-wait', waitMs, own: this.weight.current(now), server: this.serverUsed });
      await abortableSleep(waitMs, signal);
      this.serverUsed = 0;
    }
    this.weight.add(Date.now(), weight);
  }

  private request(url: string, signal?: AbortSignal): Promise<Response> {
    const https = url.startsWith('https:');
    const send = https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          agent: https ? this.httpsAgent : this.httpAgent,
          headers: { 'X-MBX-TIME-UNIT': 'MICROSECOND', Accept: 'application/json' },
          timeout: this.o.timeoutMs ?? 10_000,
          signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout after ${this.o.timeoutMs ?? 10_000} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}
