import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { formatFleetTable, readShardRows } from '../../cli/fleet-status';
import { Config, loadConfig } from '../../lib/config';
import { binanceMix } from '../../simulator/profiles';
import { BinanceSimulator, simulatorOptions, startSimulator } from '../../simulator/simulator';
import { binanceUniverse } from '../../simulator/universe';
import { streamFleet } from '../../workflows';
import { FleetStatus, fleetStatusQuery, refreshSignal, stopFleetSignal } from '../../workflows/stream-fleet-api';
import { SessionStatus, statusQuery } from '../../workflows/stream-session-api';
import { ChildWorker } from '../helpers/child-worker';
import { readTopic, testKafka } from '../helpers/kafka';
import { eventually } from '../helpers/metrics';
import { uniqueName } from '../helpers/names';
import { expectExactlyOnce, reachedTruth } from '../helpers/stream-env';
import { decodeTrade, DecodedTrade } from '../helpers/trade-decoder';
import { sleep } from '../helpers/ws-client';

// The whole-market fleet on real parts: the simulator's binance universe cut to 300 symbols,
// a streamFleet in 3 sessions of 100 on 2 worker processes (the built ones), the real Temporal
// server and Kafka. During the run a symbol is listed and another delisted (both applied at the
// sessions' next rotation), and the worker hosting a session is SIGKILLed: its sessions resume
// on the other. At the end every id of every symbol that traded while the fleet streamed is in
// the topic exactly once.

const SYMBOLS = binanceUniverse(300);
const TOTAL_RATE = 300;
const LISTED = 'NEWLISTUSDT';
const run = uniqueName('fleet');

let sim: BinanceSimulator;
let config: Config;
let connection: Connection;
let client: Client;
let fleet: WorkflowHandle<typeof streamFleet>;
const workers: ChildWorker[] = [];

const fleetStatus = (): Promise<FleetStatus> => fleet.query(fleetStatusQuery);
const sessionStatus = (id: string): Promise<SessionStatus | undefined> => client.workflow.getHandle(id).query(statusQuery).catch(() => undefined);
/** Pid of the worker process running a session's activity, as the server saw it last. */
async function activityPid(workflowId: string): Promise<number | undefined> {
  const d = await client.workflowService.describeWorkflowExecution({ namespace: config.temporal_namespace, execution: { workflowId } });
  const pid = Number((d.pendingActivities?.[0]?.lastWorkerIdentity ?? '').split('@')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
const log = (msg: string) => process.stderr.write(`[fleet test ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

beforeAll(async () => {
  const defaults = simulatorOptions();
  sim = await startSimulator({
    symbols: binanceMix(SYMBOLS, TOTAL_RATE),
    // Every symbol has a last trade id from the start, as on the exchange (see README: a symbol
    // with no trade in 24 h whose first trade falls between two connections is not covered).
    history: true,
    // Three sessions backfilling the holes of a killed worker at once: well past one IP's 6,000
    // weight/min on this scale, which real Binance would make a slower catch-up, not a loss.
    rest: { ...defaults.rest, weightPerMinute: 100_000 },
  });
  const topic = uniqueName('test.trades');
  config = loadConfig(process.env, {
    binance_ws_urls: [sim.urls.ws],
    binance_rest_urls: [sim.urls.rest],
    kafka_topic: topic,
    kafka_dlq_topic: `${topic}.dlq`,
    kafka_partitions: 3,
    task_queue: `${run}-queue`,
    deployment_name: `${run}-deployment`,
    heartbeat_timeout_seconds: 5,
    status_report_interval_seconds: 1,
    max_sessions_per_worker: 3,
    rest_weight_budget_per_minute: 50_000,
    rest_weight_limit_per_minute: 100_000,
  });
  connection = await Connection.connect({ address: config.temporal_address });
  client = new Client({ connection, namespace: config.temporal_namespace });
  workers.push(new ChildWorker(config), new ChildWorker(config));
}, 60_000);

afterAll(async () => {
  await fleet?.signal(stopFleetSignal).catch(() => undefined);
  await fleet?.result().catch(() => undefined);
  for (const w of workers) if (w.process.exitCode === null && w.process.signalCode === null) await w.kill('SIGTERM');
  for (let i = 1; i <= 4; i++) await client?.workflow.getHandle(`${run}-s-${i}`).terminate('test over').catch(() => undefined);
  await connection?.close();
  await sim?.stop();
}, 120_000);

test('a fleet of 3 sessions over 300 symbols on 2 workers: a listing, a delisting and a killed worker, every id exactly once', async () => {
  const t0 = Date.now();
  fleet = await client.workflow.start(streamFleet, {
    taskQueue: config.task_queue,
    workflowId: run,
    args: [{ universe: {}, shardSize: 100, sessionIdPrefix: `${run}-s`, heartbeatTimeoutMs: 5_000, sessionMaxLifetimeMs: 20_000, startSpacingMs: 500, searchAttributes: false }],
  });
  let shards: FleetStatus['shards'] = [];
  await eventually(
    async () => {
      shards = (await fleetStatus().catch(() => undefined))?.shards ?? [];
      if (shards.length !== 3 || !shards.every((s) => s.started)) return false;
      const statuses = await Promise.all(shards.map((s) => sessionStatus(s.workflowId)));
      return statuses.every((s) => s?.state === 'streaming' && s.firstTradeAt !== undefined);
    },
    120_000,
    'three sessions streaming',
  );
  expect(shards.map((s) => s.symbols.length)).toEqual([100, 100, 100]);
  expect(shards.flatMap((s) => s.symbols).sort()).toEqual([...SYMBOLS].sort());
  // From here every trade is met live by a session: the ground truth starts now.
  const since = sim.stats().generated;
  log(`3 sessions streaming after ${((Date.now() - t0) / 1000).toFixed(1)} s; expected trades/s per shard ${shards.map((s) => s.expectedRate.toFixed(1)).join(' / ')}`);

  // A listing and a delisting; the fleet hears of them on refresh, the sessions at their rotation.
  // The delisted symbol trades a few seconds first, so it has ids to account for.
  const delisted = shards[1].symbols.find((s) => sim.markets.get(s)!.spec.rate > 2)!;
  await sleep(5_000);
  sim.list(LISTED, 5);
  sim.delist(delisted);
  await fleet.signal(refreshSignal);
  await eventually(async () => (await fleetStatus()).lastRefresh?.added.includes(LISTED) === true, 60_000, 'the refresh');
  const after = await fleetStatus();
  expect(after.lastRefresh).toMatchObject({ added: [LISTED], removed: [delisted], universeSize: 300 });
  const home = after.shards.find((s) => s.symbols.includes(LISTED))!;
  await eventually(
    async () => {
      const statuses = await Promise.all(after.shards.map((s) => sessionStatus(s.workflowId)));
      return statuses.every((s) => s !== undefined && !s.symbols.includes(delisted)) && (await sessionStatus(home.workflowId))!.symbols.includes(LISTED);
    },
    60_000,
    'the sessions streaming the new symbol set',
  );
  log(`listing ${LISTED} joined ${home.workflowId}, ${delisted} left; ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // The worker running the first session's activity dies; its sessions move to the other.
  let victimPid: number | undefined;
  await eventually(async () => (victimPid = await activityPid(after.shards[0].workflowId)) !== undefined, 30_000, "the first session's worker");
  const victim = workers.find((w) => w.pid === victimPid)!;
  const survivor = workers.find((w) => w !== victim)!;
  const hosted = (await Promise.all(after.shards.map((s) => activityPid(s.workflowId)))).filter((p) => p === victimPid).length;
  await victim.kill('SIGKILL');
  const killedAt = Date.now();
  await eventually(
    async () => {
      const pids = await Promise.all(after.shards.map((s) => activityPid(s.workflowId)));
      if (!pids.every((p) => p === survivor.pid)) return false;
      const statuses = await Promise.all(after.shards.map((s) => sessionStatus(s.workflowId)));
      return statuses.every((s) => s?.state === 'streaming' && s.pipelineState === 'streaming');
    },
    90_000,
    'every session streaming on the surviving worker',
  );
  log(`worker ${victimPid} (${hosted} of 3 sessions) killed: all 3 on ${survivor.pid} after ${((Date.now() - killedAt) / 1000).toFixed(1)} s`);
  await sleep(5_000);
  // What `k2 fleet status` prints now: every session on the survivor.
  const table = await fleetStatus();
  const rows = await readShardRows(client, config.temporal_namespace, table);
  log(`k2 fleet status:\n${formatFleetTable(table, rows)}`);
  // A session between two runs (they rotate every 20 s here) has no activity, hence no worker.
  expect(rows.filter((r) => r.worker !== undefined && Number(r.worker.split('@')[0]) !== survivor.pid)).toEqual([]);

  sim.pauseMarket();
  const generated = sim.stats().generated;
  const truth: Record<string, { lastId: number }> = {};
  for (const [symbol, g] of Object.entries(generated)) {
    const from = since[symbol]?.lastId ?? g.firstId - 1;
    if (g.lastId > from) truth[symbol] = { lastId: g.lastId };
  }
  expect(truth[delisted]).toBeDefined();
  expect(truth[LISTED]).toBeDefined();
  const kafka = testKafka();
  const decoded: DecodedTrade[] = [];
  await readTopic(
    kafka,
    config.kafka_topic,
    (m) => {
      for (let i = decoded.length; i < m.length; i++) decoded.push(decodeTrade(m[i].value!));
      return reachedTruth(decoded, truth);
    },
    90_000,
    'every generated trade',
  ).catch((err: Error) => {
    // Which symbols fell short, and where they stream: the failure says more than a count.
    const max = new Map<string, number>();
    for (const t of decoded) max.set(t.symbol, Math.max(max.get(t.symbol) ?? -1, t.source_sequence!));
    const short = Object.entries(truth).filter(([sym, { lastId }]) => (max.get(sym) ?? -1) < lastId);
    const shardOf = (sym: string) => after.shards.find((sh) => sh.symbols.includes(sym))?.index;
    log(`short: ${short.map(([sym, { lastId }]) => `${sym}@${shardOf(sym)} ${max.get(sym) ?? 'none'}/${lastId} (from ${since[sym]?.lastId})`).join(', ')}`);
    throw err;
  });
  const symbols = Object.keys(truth);
  const report = expectExactlyOnce(
    decoded.filter((t) => t.symbol in truth),
    truth,
    { label: 'fleet', symbols },
  );
  log(`${symbols.length} symbols traded: ${report.emitted} emitted, ${report.written} written, ${report.missing} missing, ${report.duplicated} duplicated; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  expect({ missing: report.missing, duplicated: report.duplicated }).toEqual({ missing: 0, duplicated: 0 });
}, 420_000);
