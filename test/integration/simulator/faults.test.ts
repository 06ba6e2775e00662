import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { BinanceSimulator, startSimulator } from '../../../simulator/simulator';
import { clientPool, RecordingClient, sleep } from '../../helpers/ws-client';

let sim: BinanceSimulator;
const pool = clientPool(() => sim.urls.ws);
const clients = pool.open;
const client = pool.client;

beforeEach(async () => {
  sim = await startSimulator({ symbols: [{ symbol: 'BTCUSDT', rate: 100 }], controlPort: 0 });
});
afterEach(async () => {
  pool.closeAll();
  await sim.stop();
});

const control = (path: string, body?: unknown) =>
  fetch(`${sim.urls.control}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }).then(
    async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }),
  );

describe('fault injection through the control endpoint', () => {
  test('abrupt TCP reset: the client sees 1006, no close frame', async () => {
    const c = client('/ws/btcusdt@trade');
    await c.until((m) => m.length > 0);
    expect((await control('/faults', { type: 'reset' })).status).toBe(200);
    expect(await c.closed).toBe(1006);
  });

  test('close with a given code and reason', async () => {
    const c = client('/ws/btcusdt@trade');
    await c.opened();
    await control('/faults', { type: 'close', code: 1011, reason: 'maintenance' });
    expect(await c.closed).toBe(1011);
    expect(c.closeReason).toBe('maintenance');
  });

  test('stall: the connection stays open and answers pings, but no data flows', async () => {
    const c = client('/ws/btcusdt@trade');
    await c.until((m) => m.length > 0);
    await control('/faults', { type: 'stall', ms: 1_000 });
    await sleep(50);
    const during = c.messages.length;
    const pong = new Promise<void>((resolve) => c.ws.once('pong', () => resolve()));
    c.ws.ping();
    await pong;
    await sleep(600);
    expect(c.messages.length).toBe(during);
    await c.until((m) => m.length > during + 10, 3_000);
    expect(c.closeCode).toBeUndefined();
  });

  test('no-pong: client pings go unanswered', async () => {
    const c = client('/ws/btcusdt@trade');
    await c.opened();
    await control('/faults', { type: 'no-pong' });
    let ponged = false;
    c.ws.on('pong', () => (ponged = true));
    c.ws.ping();
    await sleep(500);
    expect(ponged).toBe(false);
    await control('/faults', { type: 'clear' });
    c.ws.ping();
    await sleep(200);
    expect(ponged).toBe(true);
  });

  test.each([
    ['json', (m: string) => expect(() => JSON.parse(m)).toThrow()],
    ['missing-field', (m: string) => expect(JSON.parse(m).data).not.toHaveProperty('t')],
    ['unknown-event', (m: string) => expect(JSON.parse(m).data.e).toBe('mysteryEvent')],
    ['oversized', (m: string) => expect(m.length).toBeGreaterThan(2 * 1024 * 1024)],
  ])('malformed frames: %s, among good ones', async (kind, check) => {
    const c = client('/stream?streams=btcusdt@trade');
    await c.until((m) => m.length > 0);
    await control('/faults', { type: 'malformed', kind, count: 2 });
    await c.until((m) => m.length > 20);
    const bad = c.messages.filter((m) => !m.startsWith('{"stream":"btcusdt@trade","data":{"e":"trade"') || m.length > 1000 || !m.includes('"t":'));
    expect(bad).toHaveLength(2);
    bad.forEach(check);
  });

  test('serverShutdown event, raw and combined forms', async () => {
    const raw = client('/ws/btcusdt@trade');
    const comb = client('/stream?streams=btcusdt@trade');
    await raw.opened();
    await comb.opened();
    await control('/faults', { type: 'server-shutdown', closeAfterMs: 300 });
    await raw.until((m) => m.some((x) => x.includes('serverShutdown')));
    await comb.until((m) => m.some((x) => x.includes('serverShutdown')));
    const r = raw.json().find((m) => m.e === 'serverShutdown')!;
    expect(Object.keys(r)).toEqual(['e', 'E']);
    const c = comb.json<{ stream: string; data: { e: string } }>().find((m) => m.stream === '!serverShutdown')!;
    expect(c.data.e).toBe('serverShutdown');
    expect(await raw.closed).toBe(1001);
  });

  test('refuse connections for a while, then accept again', async () => {
    await control('/faults', { type: 'refuse', ms: 500 });
    await expect(client('/ws/btcusdt@trade').opened()).rejects.toThrow(/503/);
    await sleep(600);
    await client('/ws/btcusdt@trade').opened();
  });

  test('REST 429 / 418 / 5xx on demand', async () => {
    await control('/faults', { type: 'rest', status: 429, count: 1, retryAfterSeconds: 3 });
    const limited = await fetch(`${sim.urls.rest}/api/v3/ping`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    await control('/faults', { type: 'rest', status: 503, count: 2 });
    expect((await fetch(`${sim.urls.rest}/api/v3/ping`)).status).toBe(503);
    expect((await fetch(`${sim.urls.rest}/api/v3/ping`)).status).toBe(503);
    expect((await fetch(`${sim.urls.rest}/api/v3/ping`)).status).toBe(200);
  });

  test('ground truth and market control', async () => {
    await sleep(300);
    await control('/market/pause', {});
    await sleep(50);
    const before = await control('/ground-truth?symbol=BTCUSDT');
    await sleep(200);
    const after = await control('/ground-truth?symbol=BTCUSDT');
    expect(after.body).toEqual(before.body);
    expect(before.body.lastId as number).toBeGreaterThan(before.body.firstId as number);
    expect((await control('/faults', { type: 'nonsense' })).status).toBe(400);
    expect((await control('/ground-truth?symbol=NOPE')).status).toBe(404);
  });
});

test('k2 simulator runs as a child process and prints its URLs', async () => {
  const child = spawn(process.execPath, [join(__dirname, '../../../bin/k2.js'), 'simulator', '--port', '0', '--control-port', '0', '--json', '--rate', '20'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
    const urls = JSON.parse(line) as { ws: string; rest: string; control: string };
    expect(urls.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const c = new RecordingClient(`${urls.ws}/stream?streams=btcusdt@trade`);
    clients.push(c);
    await c.until((m) => m.length >= 5);
    const status = (await (await fetch(`${urls.control}/status`)).json()) as { connections: number };
    expect(status.connections).toBe(1);
  } finally {
    child.kill('SIGTERM');
  }
});
