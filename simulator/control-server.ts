import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { BinanceSimulator } from './simulator';
import { Fault, FAULT_TYPES } from './faults';
import { isKnownSymbol } from '../lib/binance/symbols';

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * The simulator's control endpoint, on its own port so a client under test never reaches it:
 *   GET  /status                                  connections, rates, generated id ranges
 *   GET  /ground-truth?symbol=S[&fromMs=&toMs=]   ids generated (in a trade-time range)
 *   POST /faults        {"type":"stall","ms":5000} and the other faults in faults.ts
 *   POST /market/pause, /market/resume, /market/rate {"rate":100[,"symbol":"BTCUSDT"]}
 *   POST /market/acceleration {"factor":10}      every rate times 10, the mix kept
 *   POST /market/list {"symbol":"NEWUSDT","rate":2}   a new listing (exchangeInfo, ticker/24hr, streams)
 *   POST /market/delist {"symbol":"OLDUSDT"}          a delisting: status BREAK, no more trades
 */
export function startControlServer(sim: BinanceSimulator, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://control');
      try {
        if (req.method === 'GET' && url.pathname === '/status') return reply(res, 200, sim.stats());
        if (req.method === 'GET' && url.pathname === '/ground-truth') {
          const symbol = url.searchParams.get('symbol') ?? '';
          const num = (k: string) => (url.searchParams.has(k) ? Number(url.searchParams.get(k)) : undefined);
          const truth = sim.groundTruth(symbol, num('fromMs'), num('toMs'));
          return truth ? reply(res, 200, { symbol, ...truth }) : reply(res, 404, { error: `no trades for ${symbol}` });
        }
        if (req.method === 'POST' && url.pathname === '/faults') {
          const fault = (await readJson(req)) as unknown as Fault;
          if (!FAULT_TYPES.includes(fault.type)) return reply(res, 400, { error: `unknown fault type; one of ${FAULT_TYPES.join(', ')}` });
          sim.inject(fault);
          return reply(res, 200, { ok: true });
        }
        if (req.method === 'POST' && url.pathname === '/market/pause') return (sim.pauseMarket(), reply(res, 200, { ok: true }));
        if (req.method === 'POST' && url.pathname === '/market/resume') return (sim.resumeMarket(), reply(res, 200, { ok: true }));
        if (req.method === 'POST' && url.pathname === '/market/rate') {
          const body = await readJson(req);
          if (typeof body.rate !== 'number' || body.rate < 0) return reply(res, 400, { error: 'rate must be a number >= 0' });
          sim.setRate(body.rate, typeof body.symbol === 'string' ? body.symbol : undefined);
          return reply(res, 200, { ok: true });
        }
        if (req.method === 'POST' && url.pathname === '/market/acceleration') {
          const body = await readJson(req);
          if (typeof body.factor !== 'number' || body.factor < 0) return reply(res, 400, { error: 'factor must be a number >= 0' });
          sim.setAcceleration(body.factor);
          return reply(res, 200, { ok: true });
        }
        if (req.method === 'POST' && url.pathname === '/market/list') {
          const body = await readJson(req);
          if (typeof body.symbol !== 'string' || !isKnownSymbol(body.symbol)) return reply(res, 400, { error: 'symbol must be a spot symbol with a known quote asset' });
          const rate = typeof body.rate === 'number' && body.rate >= 0 ? body.rate : 1;
          sim.list(body.symbol, rate);
          return reply(res, 200, { ok: true });
        }
        if (req.method === 'POST' && url.pathname === '/market/delist') {
          const body = await readJson(req);
          if (typeof body.symbol !== 'string' || !sim.delist(body.symbol)) return reply(res, 404, { error: `no symbol ${String(body.symbol)}` });
          return reply(res, 200, { ok: true });
        }
        reply(res, 404, { error: 'unknown control route' });
      } catch (err) {
        reply(res, 400, { error: (err as Error).message });
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
