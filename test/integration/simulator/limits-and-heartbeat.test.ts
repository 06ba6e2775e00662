import { BinanceSimulator, simulatorOptions, startSimulator } from '../../../simulator/simulator';
import { clientPool, RecordingClient, sleep } from '../../helpers/ws-client';

const base = simulatorOptions();
let sim: BinanceSimulator;
const pool = clientPool(() => sim.urls.ws);
const clients = pool.open;
const client = pool.client;

beforeAll(async () => {
  sim = await startSimulator({
    symbols: [{ symbol: 'BTCUSDT', rate: 50 }],
    // Pings every 300 ms: a polite client's pongs stay under 5 messages/s.
    limits: { ...base.limits, pingIntervalMs: 300, pongTimeoutMs: 1_000, maxLifetimeMs: 60_000 },
  });
});
afterEach(() => pool.closeAll());
afterAll(() => sim.stop());

describe('Binance limits and heartbeat', () => {
  test('a client that sends 10 messages in a second is closed with 1008', async () => {
    const c = client('/ws');
    await c.opened();
    for (let i = 0; i < 10; i++) c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: i }));
    expect(await c.closed).toBe(1008);
    expect(c.closeReason).toBe('Too many requests');
    // Only the first five got an answer.
    expect(c.json().filter((m) => 'result' in m)).toHaveLength(5);
  });

  test('pings and pongs count as messages too', async () => {
    const c = client('/ws');
    await c.opened();
    for (let i = 0; i < 6; i++) c.ws.ping();
    expect(await c.closed).toBe(1008);
  });

  test('a client that never answers pings is disconnected within the configured window', async () => {
    const silent = client('/ws/btcusdt@trade', { autoPong: false });
    const polite = client('/ws/btcusdt@trade');
    const pings: number[] = [];
    silent.ws.on('ping', () => pings.push(Date.now()));
    await silent.opened();
    const opened = Date.now();
    await silent.closed;
    const after = Date.now() - opened;
    expect(pings.length).toBeGreaterThanOrEqual(1);
    // First ping at ~300 ms, cut once 1 s passes without a pong; checks run every 300 ms.
    expect(after).toBeGreaterThanOrEqual(1_000);
    expect(after).toBeLessThan(2_500);
    expect(silent.closeCode).toBe(1006);
    expect(polite.closeCode).toBeUndefined();
  });

  test('the server answers client pings with the same payload', async () => {
    const c = client('/ws');
    await c.opened();
    const pong = new Promise<string>((resolve) => c.ws.once('pong', (data) => resolve(data.toString())));
    c.ws.ping('k2-probe');
    expect(await pong).toBe('k2-probe');
  });

  test('1024 streams per connection at most', async () => {
    const c = client('/ws');
    await c.opened();
    const params = Array.from({ length: 1025 }, (_, i) => `sym${i}usdt@trade`);
    expect(await c.request({ method: 'SUBSCRIBE', params, id: 1 })).toEqual({ error: { code: 4, msg: 'Too many subscriptions' }, id: 1 });
    expect(await c.request({ method: 'SUBSCRIBE', params: params.slice(0, 1024), id: 2 })).toEqual({ result: null, id: 2 });
  });
});

describe('lifetime and connection attempts', () => {
  let short: BinanceSimulator;
  afterEach(() => short?.stop());

  test('connections are closed at the maximum lifetime', async () => {
    short = await startSimulator({ symbols: [{ symbol: 'BTCUSDT', rate: 20 }], limits: { ...base.limits, maxLifetimeMs: 800 } });
    const c = new RecordingClient(`${short.urls.ws}/ws/btcusdt@trade`);
    clients.push(c);
    await c.opened();
    const t0 = Date.now();
    expect(await c.closed).toBe(1001);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expect(c.messages.length).toBeGreaterThan(0);
  });

  test('five messages a second is allowed', async () => {
    // Default 20 s server pings here: at 300 ms, the client's own pongs would use part of the budget.
    short = await startSimulator({ symbols: [{ symbol: 'BTCUSDT', rate: 1 }] });
    const c = new RecordingClient(`${short.urls.ws}/ws`);
    clients.push(c);
    await c.opened();
    for (let i = 0; i < 5; i++) c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: i }));
    await sleep(1_200);
    for (let i = 0; i < 5; i++) c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 10 + i }));
    await c.until((m) => m.length >= 10);
    expect(c.closeCode).toBeUndefined();
  });

  test('connection attempts beyond the limit are refused with 429', async () => {
    short = await startSimulator({ symbols: [{ symbol: 'BTCUSDT', rate: 1 }], connectionAttempts: { limit: 3, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) {
      const c = new RecordingClient(`${short.urls.ws}/ws/btcusdt@trade`);
      clients.push(c);
      await c.opened();
    }
    const fourth = new RecordingClient(`${short.urls.ws}/ws/btcusdt@trade`);
    clients.push(fourth);
    await expect(fourth.opened()).rejects.toThrow(/429/);
  });
});
