import { readFileSync } from 'node:fs';
import { setProducerQuota } from '../../ops/infra/kafka-quota';
import { statusQuery, stopSignal } from '../../workflows/stream-session-api';
import { testBrokers } from '../helpers/kafka';
import { eventually } from '../helpers/metrics';
import { uniqueName } from '../helpers/names';
import { expectExactlyOnce, reachedTruth, StreamEnv, streamEnv } from '../helpers/stream-env';

// A hole of a million trades, filled from REST far faster than a throttled Kafka takes them.
// Every path into the sink waits for room, so the worker holds about buffer_max_records, not
// the hole: its RSS stays bounded, and every trade still arrives exactly once.

const HOLE = Number(process.env.K2_TEST_BACKFILL_TRADES ?? 1_000_000);
const BUFFER = 50_000;
// Measured here: 454 MB with the bound (a V8 heap left to grow lazily under this churn; 272 MB
// with --max-old-space-size=160), 1,028 MB with backfill pages not waiting for room (604,000
// records queued). The bound sits between, far from both.
const RSS_BOUND_MB = 600;
const KAFKA_BYTES_PER_SECOND = 1_000_000;

let env: StreamEnv;
const clientId = uniqueName('k2-slow-kafka');
afterAll(async () => {
  await env?.teardown();
  await setProducerQuota(testBrokers, clientId, undefined);
}, 60_000);

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

test(`a ${HOLE.toLocaleString('en-US')}-trade backfill against a throttled Kafka stays within the worker's memory bound`, async () => {
  env = await streamEnv({
    simulator: { symbols: [{ symbol: 'BTCUSDT', rate: 50_000 }], retention: HOLE + 100_000, rest: { weightPerMinute: 100_000_000, requestsAfter429BeforeBan: 5, banMs: 1_000 } },
    settings: {
      kafka_client_id: clientId,
      buffer_max_records: BUFFER,
      backfill_max_trades: HOLE * 2,
      // The simulator's REST allows far more than Binance, so REST outruns the throttled Kafka.
      rest_weight_budget_per_minute: 100_000_000,
      rest_weight_limit_per_minute: 100_000_000,
      heartbeat_timeout_seconds: 20,
    },
    childWorkers: true,
  });
  await setProducerQuota(testBrokers, clientId, KAFKA_BYTES_PER_SECOND);
  const worker = env.spawnWorker();

  await eventually(() => {
    const t = env.sim.groundTruth('BTCUSDT');
    return !!t && t.lastId - t.firstId >= HOLE;
  }, 120_000, `${HOLE} trades generated`);
  env.sim.pauseMarket();
  const truth = { BTCUSDT: env.sim.groundTruth('BTCUSDT')! };
  const from = truth.BTCUSDT.firstId;
  // The session's cursor sits at the first id: everything after it is a hole the catch-up fills.
  const handle = await env.start({ cursor: { BTCUSDT: from } });

  let peakRss = 0;
  let peakBuffer = 0;
  let lastLine = 0;
  const started = Date.now();
  await eventually(async () => {
    peakRss = Math.max(peakRss, rssMb(worker.pid));
    const s = await handle.query(statusQuery);
    peakBuffer = Math.max(peakBuffer, s.bufferDepth);
    const done = s.perSymbol.BTCUSDT.lastId ?? from;
    if (Date.now() - lastLine > 5_000) {
      lastLine = Date.now();
      const rate = (done - from) / ((Date.now() - started) / 1000);
      process.stderr.write(`backfill ${(done - from).toLocaleString('en-US')}/${HOLE.toLocaleString('en-US')}  ${Math.round(rate)} trades/s  RSS ${Math.round(rssMb(worker.pid))} MB  buffer ${s.bufferDepth}  ETA ${Math.round((truth.BTCUSDT.lastId - done) / Math.max(rate, 1))} s\n`);
    }
    return done >= truth.BTCUSDT.lastId;
  }, 600_000, 'the hole filled');
  process.stdout.write(`\n${HOLE} trades backfilled through a ${KAFKA_BYTES_PER_SECOND / 1e6} MB/s Kafka quota in ${((Date.now() - started) / 1000).toFixed(0)} s: worker peak RSS ${Math.round(peakRss)} MB, peak buffer ${peakBuffer} records (bound ${BUFFER})\n`);

  expect(peakRss).toBeLessThan(RSS_BOUND_MB);
  // Status reports come every second; the sink holds at most the bound plus one REST page.
  expect(peakBuffer).toBeLessThanOrEqual(BUFFER + 1_000);
  expect(peakBuffer).toBeGreaterThan(0);

  await handle.signal(stopSignal);
  await handle.result();
  const trades = await env.trades((t) => reachedTruth(t, truth), 180_000);
  const r = expectExactlyOnce(trades, truth);
  expect(r.written).toBe(truth.BTCUSDT.lastId - from);
}, 900_000);
