import { BinanceRestClient } from '../lib/binance/rest-client';
import { GapTracker } from '../lib/gaps/gap-tracker';

import { startSimulator } from '../simulator/simulator';
import { writeBenchReport } from './report';

// How fast a hole is filled from REST historicalTrades (1000 trades per call, weight 25) while
// staying inside the request-weight budget: the simulator enforces Binance's 6000/min per IP and
// the client keeps to its own budget (rest_weight_budget_per_minute).

async function run(hole: number, budget: number) {
  const sim = await startSimulator({ symbols: [{ symbol: 'BTCUSDT', rate: 50_000 }], retention: hole + 50_000 });
  const generated = () => {
    const t = sim.groundTruth('BTCUSDT');
    return t ? t.lastId - t.firstId : 0;
  };
  while (generated() < hole + 10) await new Promise((r) => setTimeout(r, 100));
  sim.pauseMarket();
  const { firstId } = sim.groundTruth('BTCUSDT')!;
  const rest = new BinanceRestClient({ baseUrls: [sim.urls.rest], weightBudgetPerMinute: budget, tls: { verify: true } });
  let filled = 0;
  const started = Date.now();
  const perSecond: [number, number][] = [];
  let lastSecond = 0;
  const timer = setInterval(() => {
    const t = Math.round((Date.now() - started) / 1000);
    perSecond.push([t, filled - lastSecond]);
    lastSecond = filled;
    const rate = filled / ((Date.now() - started) / 1000);
    process.stderr.write(`[hole ${hole.toLocaleString('en-US')}, budget ${budget}] ${t} s  ${filled.toLocaleString('en-US')} filled  ${Math.round(rate)} trades/s  ETA ${Math.round((hole - filled) / Math.max(rate, 1))} s\n`);
  }, 1000);
  await new Promise<void>((resolve) => {
    const tracker = new GapTracker(['BTCUSDT'], { BTCUSDT: firstId }, {
      fetchTrades: (s, from, limit, signal) => rest.historicalTrades(s, from, limit, signal),
      emit: (t) => {
        filled++;
        if (t.tradeId === firstId + hole + 1) resolve();
      },
      maxBackfillTrades: 10_000_000,
      catchUpDelayMs: 0,
    });
    tracker.accept({ eventType: 'trade', eventTime: 0, symbol: 'BTCUSDT', tradeId: firstId + hole + 1, price: '1', quantity: '1', tradeTime: 0, buyerIsMaker: false, isBestMatch: true });
  });
  clearInterval(timer);
  const seconds = (Date.now() - started) / 1000;
  rest.close();
  await sim.stop();
  return { hole, budget, seconds: +seconds.toFixed(1), tradesPerSecond: Math.round(hole / seconds), calls: Math.ceil(hole / 1000), perSecond };
}

async function main() {
  const hole = Number(process.env.BENCH_HOLE ?? 150_000);
  const results = [await run(20_000, 3000), await run(hole, 3000)];
  writeBenchReport('backfill-throughput', { results }, {
    title: 'REST backfill: trades filled per second',
    xLabel: 'seconds',
    yLabel: 'trades per second',
    series: results.map((r) => ({ name: `hole ${r.hole.toLocaleString('en-US')}, budget ${r.budget}/min`, points: r.perSecond })),
  });
  console.log('hole trades  weight budget/min  seconds  trades/s  REST calls');
  for (const r of results) console.log(`${String(r.hole).padStart(11)}  ${String(r.budget).padStart(17)}  ${String(r.seconds).padStart(7)}  ${String(r.tradesPerSecond).padStart(8)}  ${String(r.calls).padStart(10)}`);
}

void main();
