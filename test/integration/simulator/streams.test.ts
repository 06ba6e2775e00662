import { BinanceSimulator, startSimulator } from '../../../simulator/simulator';
import { clientPool } from '../../helpers/ws-client';

interface TradeEvent {
  e: string;
  E: number;
  s: string;
  t: number;
  p: string;
  q: string;
  T: number;
  m: boolean;
  M: boolean;
}

let sim: BinanceSimulator;
const pool = clientPool(() => sim.urls.ws);
const client = pool.client;

beforeAll(async () => {
  sim = await startSimulator({ symbols: ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'].map((symbol) => ({ symbol, rate: 200 })) });
});
afterEach(() => pool.closeAll());
afterAll(() => sim.stop());

const DECIMAL_8 = /^\d+\.\d{8}$/;

describe('market streams as Binance serves them', () => {
  test('combined stream: wrapped Binance trade events, consecutive ids per symbol', async () => {
    const c = client('/stream?streams=btcusdt@trade/ethusdt@trade');
    await c.until((m) => m.length >= 200);
    const frames = c.json<{ stream: string; data: TradeEvent }>();
    const bySymbol = new Map<string, number[]>();
    for (const f of frames) {
      expect(Object.keys(f)).toEqual(['stream', 'data']);
      expect(f.stream).toBe(`${f.data.s.toLowerCase()}@trade`);
      expect(Object.keys(f.data)).toEqual(['e', 'E', 's', 't', 'p', 'q', 'T', 'm', 'M']);
      expect(f.data.e).toBe('trade');
      expect(typeof f.data.t).toBe('number');
      expect(typeof f.data.E).toBe('number');
      expect(typeof f.data.T).toBe('number');
      expect(typeof f.data.m).toBe('boolean');
      expect(f.data.M).toBe(true);
      expect(f.data.p).toMatch(DECIMAL_8);
      expect(f.data.q).toMatch(DECIMAL_8);
      expect(f.data.T).toBeGreaterThan(1.7e12);
      expect(f.data.T).toBeLessThan(1e13); // milliseconds by default
      bySymbol.set(f.data.s, [...(bySymbol.get(f.data.s) ?? []), f.data.t]);
    }
    expect([...bySymbol.keys()].sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    for (const ids of bySymbol.values()) expect(ids).toEqual(ids.map((_, i) => ids[0] + i));
  });

  test('historicalTrades?fromId= returns exactly the trades the stream sent', async () => {
    const c = client('/stream?streams=btcusdt@trade');
    await c.until((m) => m.length >= 150);
    const sent = c.json<{ data: TradeEvent }>().slice(0, 150).map((f) => f.data);
    const res = await fetch(`${sim.urls.rest}/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${sent[0].t}&limit=150`);
    expect(res.status).toBe(200);
    const rows = (await res.json()) as { id: number; price: string; qty: string; time: number; isBuyerMaker: boolean; isBestMatch: boolean }[];
    expect(rows.map((r) => ({ t: r.id, p: r.price, q: r.qty, T: r.time, m: r.isBuyerMaker }))).toEqual(
      sent.map((s) => ({ t: s.t, p: s.p, q: s.q, T: s.T, m: s.m })),
    );
    expect(rows.every((r) => r.isBestMatch === true)).toBe(true);
  });

  test('raw stream: unwrapped events; timeUnit=MICROSECOND gives µs times', async () => {
    const raw = client('/ws/ethusdt@trade');
    const micro = client('/ws/ethusdt@trade?timeUnit=MICROSECOND');
    await raw.until((m) => m.length >= 5);
    await micro.until((m) => m.length >= 5);
    const r = raw.json<TradeEvent>()[0];
    expect(r.e).toBe('trade');
    expect(r.s).toBe('ETHUSDT');
    const u = micro.json<TradeEvent>()[0];
    expect(u.T).toBeGreaterThan(1e15);
    expect(Number.isSafeInteger(u.T)).toBe(true);
  });

  test('aggTrade events cover consecutive trade id ranges', async () => {
    const c = client('/ws/bnbusdt@aggTrade');
    await c.until((m) => m.length >= 40);
    const aggs = c.json<{ e: string; a: number; f: number; l: number; p: string; q: string }>();
    expect(Object.keys(aggs[0])).toEqual(['e', 'E', 's', 'a', 'p', 'q', 'f', 'l', 'T', 'm', 'M']);
    for (let i = 1; i < aggs.length; i++) {
      expect(aggs[i].a).toBe(aggs[i - 1].a + 1);
      expect(aggs[i].f).toBe(aggs[i - 1].l + 1);
      expect(aggs[i].l).toBeGreaterThanOrEqual(aggs[i].f);
    }
  });

  test('live SUBSCRIBE, LIST_SUBSCRIPTIONS, UNSUBSCRIBE and properties, with ids', async () => {
    const c = client('/ws');
    await c.opened();
    expect(await c.request({ method: 'SUBSCRIBE', params: ['btcusdt@trade', 'ethusdt@trade'], id: 1 })).toEqual({ result: null, id: 1 });
    expect(await c.request({ method: 'LIST_SUBSCRIPTIONS', id: 'abc' })).toEqual({ result: ['btcusdt@trade', 'ethusdt@trade'], id: 'abc' });
    await new Promise((r) => setTimeout(r, 250)); // stay under 5 messages/s
    expect(await c.request({ method: 'UNSUBSCRIBE', params: ['ethusdt@trade'], id: 2 })).toEqual({ result: null, id: 2 });
    expect(await c.request({ method: 'GET_PROPERTY', params: ['combined'], id: 3 })).toEqual({ result: false, id: 3 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await c.request({ method: 'SET_PROPERTY', params: ['combined', true], id: 4 })).toEqual({ result: null, id: 4 });
    expect(await c.request({ method: 'LIST_SUBSCRIPTIONS', id: 5 })).toEqual({ result: ['btcusdt@trade'], id: 5 });
    const from = c.messages.length;
    await c.until((m) => m.length > from + 5);
    const latest = JSON.parse(c.messages[c.messages.length - 1]) as { stream: string };
    expect(latest.stream).toBe('btcusdt@trade');
  });

  test("Binance's error responses", async () => {
    const c = client('/ws');
    await c.opened();
    expect(await c.request({ method: 'SUBSCRIBE', params: ['btcusdt@trade'], id: -0.5 })).toEqual({
      error: { code: 2, msg: 'Invalid request: request ID must be an unsigned integer' },
      id: null,
    });
    const unknown = await c.request({ method: 'SUBSCRIBBE', params: [], id: 7 });
    expect(unknown).toMatchObject({ error: { code: 2 }, id: 7 });
    expect((unknown.error as { msg: string }).msg).toMatch(/^Invalid request: unknown variant `SUBSCRIBBE`/);
    expect(await c.request({ method: 'GET_PROPERTY', params: ['colour'], id: 8 })).toEqual({ error: { code: 0, msg: 'Unknown property' }, id: 8 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await c.request({ method: 'SET_PROPERTY', params: ['combined', 'yes'], id: 9 })).toEqual({
      error: { code: 1, msg: 'Invalid value type: expected Boolean' },
      id: 9,
    });
    const from = c.messages.length;
    c.ws.send('{"method": SUBSCRIBE');
    await c.until((m) => m.length > from);
    expect(JSON.parse(c.messages[from])).toMatchObject({ error: { code: 3 } });
  });

  test('an invalid stream name is refused at the handshake', async () => {
    const c = client('/ws/BTCUSDT@trade');
    await expect(c.opened()).rejects.toThrow(/400/);
  });
});
