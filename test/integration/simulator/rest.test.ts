import { BinanceSimulator, simulatorOptions, startSimulator } from '../../../simulator/simulator';
import { sleep } from '../../helpers/ws-client';

let sim: BinanceSimulator;
const get = (path: string) => fetch(`${sim.urls.rest}${path}`);
/** Request weight resets at each calendar minute; a check that counts it must not straddle one. */
const clearOfMinuteBoundary = async () => {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 57_000) await sleep(60_000 - intoMinute + 100);
};

afterEach(() => sim?.stop());

describe('REST on the same server', () => {
  beforeEach(async () => {
    sim = await startSimulator({ symbols: [{ symbol: 'BTCUSDT', rate: 500 }, { symbol: 'ETHBTC', rate: 100 }], retention: 300 });
    await sleep(1_000);
  });

  test('ping, time and exchangeInfo', async () => {
    expect(await (await get('/api/v3/ping')).json()).toEqual({});
    const { serverTime } = (await (await get('/api/v3/time')).json()) as { serverTime: number };
    expect(Math.abs(serverTime - Date.now())).toBeLessThan(1_000);
    const info = (await (await get('/api/v3/exchangeInfo')).json()) as {
      rateLimits: { rateLimitType: string; limit: number }[];
      symbols: { symbol: string; baseAsset: string; quoteAsset: string; filters: { filterType: string; tickSize?: string; stepSize?: string }[] }[];
    };
    expect(info.rateLimits).toContainEqual(expect.objectContaining({ rateLimitType: 'REQUEST_WEIGHT', limit: 6000 }));
    const eth = info.symbols.find((s) => s.symbol === 'ETHBTC')!;
    expect(eth).toMatchObject({ baseAsset: 'ETH', quoteAsset: 'BTC' });
    expect(eth.filters.find((f) => f.filterType === 'PRICE_FILTER')?.tickSize).toBe('0.00001000');
  });

  test('weights are counted in X-MBX-USED-WEIGHT-1M', async () => {
    await clearOfMinuteBoundary();
    const a = await get('/api/v3/ping');
    const b = await get('/api/v3/historicalTrades?symbol=BTCUSDT&limit=5');
    const c = await get('/api/v3/aggTrades?symbol=BTCUSDT&limit=5');
    const used = [a, b, c].map((r) => Number(r.headers.get('x-mbx-used-weight-1m')));
    expect(used[1] - used[0]).toBe(25);
    expect(used[2] - used[1]).toBe(4);
  });

  test('trades, historicalTrades (limit up to 1000) and aggTrades agree with one another', async () => {
    const recent = (await (await get('/api/v3/trades?symbol=BTCUSDT&limit=20')).json()) as { id: number }[];
    expect(recent).toHaveLength(20);
    expect(recent.map((t) => t.id)).toEqual(recent.map((_, i) => recent[0].id + i));
    const history = (await (await get(`/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${recent[0].id}&limit=5000`)).json()) as {
      id: number;
      price: string;
    }[];
    expect(history.length).toBeGreaterThanOrEqual(20);
    expect(history.length).toBeLessThanOrEqual(300);
    expect(history.slice(0, 20)).toEqual(recent);
    const aggs = (await (await get(`/api/v3/aggTrades?symbol=BTCUSDT&limit=10`)).json()) as { a: number; f: number; l: number; p: string }[];
    expect(aggs).toHaveLength(10);
    for (const a of aggs) {
      const [first] = (await (await get(`/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${a.f}&limit=1`)).json()) as { price: string }[];
      expect(first.price).toBe(a.p);
    }
  });

  test('history older than the retention is gone: the answer starts at the oldest id kept', async () => {
    sim.pauseMarket(); // the oldest id kept moves with every trade
    const truth = sim.groundTruth('BTCUSDT')!;
    expect(truth.lastId - truth.firstId).toBeGreaterThan(300);
    const rows = (await (await get(`/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${truth.firstId}&limit=10`)).json()) as { id: number }[];
    expect(rows[0].id).toBeGreaterThan(truth.firstId);
    expect(rows[0].id).toBe(sim.stats().generated.BTCUSDT.oldestRetainedId);
  });

  test("Binance's errors for a missing or unknown symbol", async () => {
    const missing = await get('/api/v3/historicalTrades');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: -1102 });
    const unknown = await get('/api/v3/trades?symbol=NOPEUSDT');
    expect(await unknown.json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
  });
});

describe('REST rate limits', () => {
  test('past the weight limit: 429 with Retry-After, then 418 for a client that keeps going', async () => {
    sim = await startSimulator({
      symbols: [{ symbol: 'BTCUSDT', rate: 10 }],
      rest: { ...simulatorOptions().rest, weightPerMinute: 100, requestsAfter429BeforeBan: 2, banMs: 5_000 },
    });
    await clearOfMinuteBoundary();
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 8; i++) {
      last = await get('/api/v3/historicalTrades?symbol=BTCUSDT&limit=1');
      statuses.push(last.status);
      if (last.status === 429) {
        const retry = Number(last.headers.get('retry-after'));
        expect(retry).toBeGreaterThanOrEqual(1);
        expect(retry).toBeLessThanOrEqual(60);
      }
    }
    // 4 x 25 = 100 fits; the 5th goes over; two more 429s are tolerated; then the ban.
    expect(statuses.slice(0, 7)).toEqual([200, 200, 200, 200, 429, 429, 418]);
    expect(statuses[7]).toBe(418);
    expect(Number(last!.headers.get('retry-after'))).toBeLessThanOrEqual(5);
  });
});
