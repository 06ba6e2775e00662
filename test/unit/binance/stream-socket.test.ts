import { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import { BinanceStreamSocket, StreamSocketOptions } from '../../../lib/binance/stream-socket';

// A bare ws server stands in for Binance: the watchdog's logic is what is under test.
let server: WebSocketServer;
let url: string;
let behaviour: (ws: WebSocket) => void;
const sockets: BinanceStreamSocket[] = [];

beforeEach(async () => {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: true });
  server.on('connection', (ws) => behaviour(ws));
  await new Promise((r) => server.once('listening', r));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.stop()));
  for (const c of server.clients) c.terminate();
  await new Promise((r) => server.close(r));
});

function socket(o: Partial<StreamSocketOptions> = {}): BinanceStreamSocket {
  const s = new BinanceStreamSocket({
    urls: [url],
    streams: ['btcusdt@trade'],
    pingIntervalMs: 60_000,
    pingTimeoutMs: 10_000,
    silenceTimeoutMs: 60_000,
    maxPayload: 1 << 20,
    backoff: { initialMs: 50, maxMs: 200 },
    tls: { verify: true },
    ...o,
  });
  sockets.push(s);
  return s;
}

const nextDown = (s: BinanceStreamSocket) => new Promise<[string, string]>((r) => s.once('down', (...a) => r(a)));
const nextOpen = (s: BinanceStreamSocket) => new Promise<string>((r) => s.once('open', r));

describe('stream socket watchdog', () => {
  test('data silence past the timeout reconnects; steady data does not', async () => {
    let connections = 0;
    behaviour = (ws) => {
      connections++;
      if (connections === 1) {
        const t = setInterval(() => ws.send('{"e":"trade"}'), 50);
        setTimeout(() => clearInterval(t), 400); // then silence, socket open
        ws.on('close', () => clearInterval(t));
      }
    };
    const s = socket({ silenceTimeoutMs: 500 });
    const t0 = Date.now();
    s.start();
    const [reason] = await nextDown(s);
    expect(reason).toBe('data_silence');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(850);
    await nextOpen(s);
    expect(connections).toBe(2);
  });

  test('a ping without pong in time reconnects', async () => {
    behaviour = () => undefined;
    server.removeAllListeners('connection');
    const silentServer = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false });
    await new Promise((r) => silentServer.once('listening', r));
    const s = socket({ urls: [`ws://127.0.0.1:${(silentServer.address() as AddressInfo).port}`], pingIntervalMs: 100, pingTimeoutMs: 300 });
    s.start();
    const [reason, detail] = await nextDown(s);
    expect(reason).toBe('pong_timeout');
    expect(detail).toMatch(/300 ms/);
    await s.stop();
    for (const c of silentServer.clients) c.terminate();
    await new Promise((r) => silentServer.close(r));
  });

  test('a paused socket is not declared silent', async () => {
    behaviour = (ws) => ws.send('{"e":"trade"}');
    const s = socket({ silenceTimeoutMs: 300 });
    s.start();
    await nextOpen(s);
    s.pause();
    const downs: string[] = [];
    s.on('down', (r) => downs.push(r));
    await new Promise((r) => setTimeout(r, 900));
    expect(downs).toEqual([]);
    expect(s.state).toBe('paused');
  });

  test('a failed connect fails over to the next URL, with the reason kept', async () => {
    behaviour = (ws) => ws.send('{"e":"trade"}');
    const s = socket({ urls: ['ws://127.0.0.1:1', url] });
    const downs: [string, string][] = [];
    s.on('down', (...a) => downs.push(a));
    s.start();
    expect(await nextOpen(s)).toContain(url);
    expect(downs[0][0]).toBe('connect_failed');
    expect(downs[0][1]).toMatch(/ECONNREFUSED/);
  });

  test('reconnect() replaces the connection at once', async () => {
    let connections = 0;
    behaviour = () => void connections++;
    const s = socket();
    s.start();
    await nextOpen(s);
    const down = nextDown(s);
    s.reconnect('server_shutdown');
    expect((await down)[0]).toBe('server_shutdown');
    await nextOpen(s);
    expect(connections).toBe(2);
  });
});
