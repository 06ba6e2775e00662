import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceEntry, PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Client } from '@temporalio/client';
import { Histogram } from 'prom-client';
import { connectTemporal } from '../lib/temporal/connection';
import { loadConfig } from '../lib/config';
import { metrics } from '../lib/metrics';
import { projectRoot } from '../lib/paths';
import { createStreamWorker } from '../workers/create-worker';
import { installTemporalRuntime } from '../workers/temporal-runtime';
import { relaunchWithBounds } from '../workers/worker-launch';
import { writeBenchReport } from './report';
import { streamSession } from '../workflows';

// End-to-end throughput of one worker: simulator (own process) → WebSocket → validation → gap
// tracking → Avro → Kafka (acks=all, GZIP) → ack. Needs local Temporal and Kafka. The worker runs
// in this process, started with the memory bounds a production worker has (`k2 worker`:
// worker_heap_mb, worker_semi_space_mb, malloc_*), since they change its CPU per trade;
// BENCH_BOUNDS=0 runs it without them.

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT', 'ETHBTC', 'ADAUSDT', 'DOGEUSDT', 'LTCUSDT', 'LINKUSDT'];

/**
 * Every value a latency histogram is given, kept for exact quantiles: the metric's buckets (5, 10,
 * 25, 50 ms …) are too coarse to say whether a p99 is 20 or 40 ms.
 */
function recordObservations(histogram: Histogram, capacity: number) {
  // Preallocated: the worker under test runs in this process, and a growing array would add to
  // the very heap and GC figures being measured.
  const values = new Float64Array(capacity);
  let n = 0;
  const observe = histogram.observe.bind(histogram) as (value: number) => void;
  histogram.observe = ((value: number) => {
    if (n < capacity) values[n++] = value;
    observe(value);
  }) as Histogram['observe'];
  return {
    reset: () => void (n = 0),
    quantile(q: number): number {
      const sorted = values.slice(0, n).sort();
      return n ? sorted[Math.min(n - 1, Math.floor(q * n))] : NaN;
    },
    restore: () => void (histogram.observe = observe as Histogram['observe']),
  };
}

async function produced(): Promise<number> {
  return (await metrics.tradesProduced.get()).values.reduce((a, v) => a + v.value, 0);
}

async function scenario(client: Client, rate: number, seconds: number) {
  const sim = spawn(process.execPath, [join(projectRoot, 'bin', 'k2.js'), 'simulator', '--port', '0', '--control-port', '0', '--json', '--first-ids', 'hash',
    '--symbols', SYMBOLS.join(','), '--rate', String(rate / SYMBOLS.length), '--retention', '200000', '--stats-interval', '3600'],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  const urls = JSON.parse(await new Promise<string>((r) => createInterface({ input: sim.stdout! }).once('line', r))) as { ws: string; rest: string };
  const suffix = `${rate}-${Date.now().toString(36)}`;
  const config = loadConfig(process.env, {
    binance_ws_urls: [urls.ws], binance_rest_urls: [urls.rest],
    ...(process.env.BENCH_COMPRESSION ? { compression: process.env.BENCH_COMPRESSION } : {}),
    kafka_topic: `bench.pipeline.${suffix}`, kafka_dlq_topic: `bench.pipeline.${suffix}.dlq`, task_queue: `bench-pipeline-${suffix}`, deployment_name: `bench-pipeline-${suffix}`,
  });
  const sw = await createStreamWorker({ config });
  const running = sw.worker.run();
  const capacity = Math.ceil(rate * (seconds + 10) * 1.5);
  const tradeToAck = recordObservations(metrics.exchangeToAck, capacity);
  const frameToAck = recordObservations(metrics.receiveToAck, capacity);
  const handle = await client.workflow.start(streamSession, {
    taskQueue: config.task_queue, workflowId: `bench-pipeline-${suffix}`,
    args: [{ symbols: SYMBOLS, heartbeatTimeoutMs: 20_000, searchAttributes: false }],
  });
  const perSecond: [number, number][] = [];
  let rss = 0;
  let last = await produced();
  let cpuFrom = process.cpuUsage();
  let ackedFrom = last;
  // Pause time of V8's collector on this thread: young generation (scavenges) and the rest.
  const gcMs = { minor: 0, major: 0 };
  // How late the event loop ran what was due: frames and acks wait behind GC pauses and long tasks.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs[(e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR ? 'minor' : 'major'] += e.duration;
    }
  });
  for (let t = 1; t <= seconds + 5; t++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await produced();
    if (t === 5) {
      tradeToAck.reset();
      frameToAck.reset();
      cpuFrom = process.cpuUsage();
      ackedFrom = now;
      gc.observe({ entryTypes: ['gc'] });
      loopDelay.enable();
    }
    if (t > 5) {
      perSecond.push([t - 5, now - last]);
      rss = Math.max(rss, process.memoryUsage.rss());
    }
    process.stderr.write(`[${rate.toLocaleString('en-US')}/s offered] ${t}/${seconds + 5} s  ${(now - last).toLocaleString('en-US')} acked/s  ETA ${seconds + 5 - t} s\n`);
    last = now;
  }
  const cpu = process.cpuUsage(cpuFrom);
  gc.disconnect();
  loopDelay.disable();
  const loopDelayMs = { p99: Math.round(loopDelay.percentile(99) / 1e5) / 10, max: Math.round(loopDelay.max / 1e5) / 10 };
  const trades = Math.max(1, last - ackedFrom);
  const cpuUsPerTrade = (cpu.user + cpu.system) / trades;
  const gcUsPerTrade = { minor: Math.round((gcMs.minor * 1000 * 10) / trades) / 10, major: Math.round((gcMs.major * 1000 * 10) / trades) / 10 };
  const [p50, p99, frameP50, frameP99] = [tradeToAck.quantile(0.5), tradeToAck.quantile(0.99), frameToAck.quantile(0.5), frameToAck.quantile(0.99)];
  tradeToAck.restore();
  frameToAck.restore();
  await handle.terminate('bench over');
  sw.shutdown();
  await running;
  await sw.close();
  sim.kill('SIGTERM');
  const rates = perSecond.map((p) => p[1]);
  return { offered: rate, ackedPerSecond: Math.round(rates.reduce((a, b) => a + b, 0) / rates.length), p50Ms: Math.round(p50 * 1000), p99Ms: Math.round(p99 * 1000), frameToAckP50Ms: Math.round(frameP50 * 1000), frameToAckP99Ms: Math.round(frameP99 * 1000), cpuUsPerTrade: Math.round(cpuUsPerTrade * 10) / 10, gcUsPerTrade, loopDelayMs, peakRssMb: Math.round(rss / 1048576), perSecond };
}

async function main() {
  if (process.env.BENCH_BOUNDS !== '0' && relaunchWithBounds()) return;
  installTemporalRuntime();
  const seconds = Number(process.env.BENCH_SECONDS ?? 20);
  const rates = (process.env.BENCH_RATES ?? '1000,5000,10000,20000').split(',').map(Number);
  const config = loadConfig();
  const connection = await connectTemporal(config);
  const client = new Client({ connection, namespace: config.temporal_namespace });
  const results = [];
  for (const rate of rates) results.push(await scenario(client, rate, seconds));
  await connection.close();
  const bounds = process.env.BENCH_BOUNDS === '0' ? 'none' : `--max-old-space-size=${config.worker_heap_mb} --max-semi-space-size=${config.worker_semi_space_mb} MALLOC_ARENA_MAX=${config.malloc_arena_max} MALLOC_MMAP_THRESHOLD_=${config.malloc_mmap_threshold_kb * 1024}`;
  writeBenchReport(process.env.BENCH_NAME ?? 'pipeline-throughput', { symbols: SYMBOLS.length, compression: process.env.BENCH_COMPRESSION ?? 'gzip', bounds, results }, {
    title: `One worker, ${SYMBOLS.length} symbols: trades acknowledged by Kafka per second`,
    xLabel: 'seconds',
    yLabel: 'trades per second',
    series: results.map((r) => ({ name: `${r.offered.toLocaleString('en-US')}/s offered`, points: r.perSecond })),
  });
  console.log(`worker bounds: ${bounds}`);
  console.log('offered/s  acked/s  trade time→ack p50  p99     frame→ack p50  p99     CPU/trade  GC pause/trade (young+old)  loop delay p99/max  worker RSS');
  for (const r of results) {
    console.log(
      `${String(r.offered).padStart(9)}  ${String(r.ackedPerSecond).padStart(7)}  ${String(r.p50Ms).padStart(14)} ms  ${String(r.p99Ms).padStart(4)} ms  ${String(r.frameToAckP50Ms).padStart(9)} ms  ${String(r.frameToAckP99Ms).padStart(4)} ms  ${r.cpuUsPerTrade.toFixed(1).padStart(6)} µs  ${`${r.gcUsPerTrade.minor.toFixed(1)} + ${r.gcUsPerTrade.major.toFixed(1)} µs`.padStart(26)}  ${`${r.loopDelayMs.p99} / ${r.loopDelayMs.max} ms`.padStart(18)}  ${r.peakRssMb} MB`,
    );
  }
  process.exit(0);
}

void main();
