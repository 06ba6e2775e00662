import { temporal } from '@temporalio/proto';
import { REPORT_SYMBOLS_MAX } from '../../lib/pipeline/progress-report';
import { binanceMix } from '../../simulator/profiles';
import { simulatorOptions } from '../../simulator/simulator';
import { binanceUniverse } from '../../simulator/universe';
import { rotateSignal, statusQuery, stopSignal, StreamSessionInput } from '../../workflows/stream-session-api';
import { FAST_SETTINGS, signalActivityWorker } from '../helpers/fault-case';
import { readToEnd, testKafka } from '../helpers/kafka';
import { eventually } from '../helpers/metrics';
import { expectExactlyOnce, idsBySymbol, reachedTruth, StreamEnv, streamEnv } from '../helpers/stream-env';
import { decodeTrade } from '../helpers/trade-decoder';
import { sleep } from '../helpers/ws-client';

// A fleet shard's session: 200 symbols on one connection (the simulator's binance universe at its
// skewed rates). Each progress report is an event in the session's history, so it must stay small
// whatever the number of symbols, or a 4 h run reaches the server's continue-as-new suggestion
// early. Meanwhile `status` and the Web UI still account for every symbol, and a run lost to a
// killed worker hands every symbol's cursor and count to the next (from its last heartbeat).

const SYMBOLS = binanceUniverse(200);
/** A report names at most REPORT_SYMBOLS_MAX symbols: well under this, where one of every symbol took ~19 KB. */
const REPORT_BYTES_MAX = 2_500;
const HEARTBEAT_S = 20;

let env: StreamEnv;
afterEach(() => env?.teardown());

type Event = temporal.api.history.v1.IHistoryEvent;
const decode = <T>(payload: temporal.api.common.v1.IPayload | undefined): T => JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as T;

test('a session of 200 symbols: bounded progress reports, every symbol accounted for, across a lost run too', async () => {
  env = await streamEnv({
    // Catching 200 symbols up after the lost run may pass one IP's 6,000 weight/min, which real
    // Binance would make a slower catch-up, not a loss (as in the fleet test).
    simulator: { symbols: binanceMix(SYMBOLS, 200), history: true, rest: { ...simulatorOptions().rest, weightPerMinute: 100_000 } },
    // A heartbeat timeout of 20 s, so that `rotate` is handled before the killed worker's attempt
    // times out (the workflow task may first wait out the dead worker's sticky queue, 10 s).
    settings: { ...FAST_SETTINGS, heartbeat_timeout_seconds: HEARTBEAT_S, rest_weight_budget_per_minute: 50_000, rest_weight_limit_per_minute: 100_000 },
    childWorkers: true,
  });
  env.spawnWorker();
  env.spawnWorker();
  const handle = await env.start({ heartbeatTimeoutMs: HEARTBEAT_S * 1000 });
  const status = () => handle.query(statusQuery);
  await eventually(async () => (await status().catch(() => undefined))?.overall?.ratePerSec !== undefined, 120_000, 'the session streaming, two reports in');
  // From here every trade is met live: the ground truth starts now.
  const since = env.sim.stats().generated;

  const live = await status();
  expect(Object.keys(live.perSymbol)).toHaveLength(200);
  expect(live.reported!.length).toBeLessThanOrEqual(REPORT_SYMBOLS_MAX);
  expect(live.overall).toMatchObject({ symbols: 200, held: 0 });
  expect(live.overall.thisRun).toBeGreaterThan(0);
  // What the Web UI shows: all symbols summed up, then the few the report named.
  const details = (await env.client.workflow.getHandle(handle.workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
  expect(details).toMatch(/^All 200 symbols: \d+\.\d\/s, newest trade [\d.]+ s old, \d+ written \(\d+ this run\), \d+ without a trade this run, 0 held$/m);
  expect(details).toMatch(/- … and 18\d more: query `status`/);

  // The heartbeat the server keeps is at most 0.8 × the timeout old: let one with every symbol land.
  await sleep(HEARTBEAT_S * 1000);
  await signalActivityWorker(env, 'SIGKILL');
  await handle.signal(rotateSignal, 'sent after a kill');
  await eventually(async () => {
    const s = await status().catch(() => undefined);
    return s !== undefined && s.rotation >= 1 && s.pipelineState === 'streaming' && s.overall.ratePerSec !== undefined;
  }, 120_000, 'the next run streaming on the other worker');

  // The lost run handed the next every symbol's cursor: from its last heartbeat, not its reports.
  const second = await handle.fetchHistory();
  const input = decode<StreamSessionInput>(second.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0]);
  expect(input.lastRunLost).toMatch(/^run 0 ended without a result/);
  expect(Object.keys(input.cursor ?? {}).filter((s) => SYMBOLS.includes(s))).toHaveLength(200);

  await sleep(2_000);
  env.sim.pauseMarket();
  await sleep(300);
  await handle.signal(stopSignal);
  const final = await handle.result();

  // Every progress report of both runs stayed small.
  const firstRun = await env.client.workflow.getHandle(handle.workflowId, (await handle.describe()).raw.workflowExecutionInfo!.firstRunId!).fetchHistory();
  const reports = [...firstRun.events!, ...second.events!].filter((e: Event) => e.workflowExecutionSignaledEventAttributes?.signalName === 'progress');
  const sizes = reports.map((e: Event) => temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
  expect(reports.length).toBeGreaterThan(10);
  expect(Math.max(...sizes)).toBeLessThan(REPORT_BYTES_MAX);

  // Every id of every symbol that traded since the session streamed, exactly once; and the
  // session's totals match the topic for all 200 symbols, across the lost run.
  const generated = env.sim.stats().generated;
  const truth: Record<string, { lastId: number }> = {};
  for (const [symbol, g] of Object.entries(generated)) if (g.lastId > (since[symbol]?.lastId ?? g.firstId - 1)) truth[symbol] = { lastId: g.lastId };
  expect(Object.keys(truth).length).toBeGreaterThan(100);
  const trades = await env.trades((t) => reachedTruth(t, truth), 60_000);
  expectExactlyOnce(
    trades.filter((t) => t.symbol in truth),
    truth,
    { label: 'large session', symbols: Object.keys(truth) },
  );
  const written = idsBySymbol((await readToEnd(testKafka(), env.config.kafka_topic, 60_000)).map((m) => decodeTrade(m.value!)));
  const totals = Object.fromEntries(SYMBOLS.map((s) => [s, final.perSymbol[s].total]));
  expect(totals).toEqual(Object.fromEntries(SYMBOLS.map((s) => [s, written.get(s)?.length ?? 0])));
  expect(final.overall.total).toBe([...written.values()].reduce((n, ids) => n + ids.length, 0));
  expect(Object.keys(final.cursor).filter((s) => SYMBOLS.includes(s))).toHaveLength(200);
}, 300_000);
