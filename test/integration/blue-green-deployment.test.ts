import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { connectTemporal } from '../../lib/temporal/connection';
import { configEnv } from '../../lib/config-env';
import { Config, loadConfig } from '../../lib/config';
import { pendingActivityBuild } from '../../lib/deploy/worker-deployment';
import { workerRecordName } from '../../lib/deploy/worker-records';
import { readRecord } from '../../ops/infra/process-control';
import { BinanceSimulator, startSimulator } from '../../simulator/simulator';
import { blueGreenDeployment, streamSession } from '../../workflows';
import { abortSignal, DeploymentInput, DeploymentProgress, progressQuery } from '../../workflows/blue-green-api';
import { ChildWorker } from '../helpers/child-worker';
import { eventually } from '../helpers/metrics';
import { uniqueName } from '../helpers/names';
import { expectExactlyOnce, stopAndReadTruth } from '../helpers/stream-env';
import { sleep } from '../helpers/ws-client';

// Blue-green deployments of a live session, on real worker processes, a real deployer process,
// the real Temporal dev server (Worker Versioning) and Kafka, against the simulator. One session
// lives through four deployments — one that lands (its deployer killed and restarted midway),
// a green that fails its smoke test, an abort during dual operation, and a green killed during
// validation — and at the end every id of every symbol is in the topic exactly once.

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'];
const run = uniqueName('bg');
const k2 = join(__dirname, '../../bin/k2.js');
const builds = { a: `${run}-a`, b: `${run}-b`, c: `${run}-c`, d: `${run}-d`, e: `${run}-e` };

let sim: BinanceSimulator;
let config: Config;
let connection: Connection;
let client: Client;
let session: WorkflowHandle<typeof streamSession>;
let blue: ChildWorker;
let deployer: ChildProcess | undefined;

function startDeployer(): ChildProcess {
  const child = spawn(process.execPath, [k2, 'deployer'], { env: configEnv(config, { LOG_LEVEL: 'warn' }), stdio: ['ignore', 'ignore', 'inherit'] });
  deployer = child;
  return child;
}

async function killDeployer(signal: NodeJS.Signals): Promise<void> {
  const d = deployer!;
  const exited = new Promise((r) => d.once('exit', r));
  d.kill(signal);
  await exited;
}

const phases = (o: Partial<DeploymentInput> = {}): Omit<DeploymentInput, 'buildId'> => ({
  driver: 'process',
  smokeMs: 6_000,
  dualMs: 10_000,
  validateMs: 8_000,
  checkEveryMs: 4_000,
  ...o,
});

function startDeployment(buildId: string, o: Partial<DeploymentInput> = {}): Promise<WorkflowHandle<typeof blueGreenDeployment>> {
  return client.workflow.start(blueGreenDeployment, { taskQueue: config.deploy_task_queue, workflowId: `deploy-${buildId}`, args: [{ buildId, ...phases(o) }] });
}

const sessionBuild = async () => (await pendingActivityBuild(client.workflowService, config.temporal_namespace, session.workflowId))?.buildId;
const untilStep = (h: WorkflowHandle<typeof blueGreenDeployment>, step: DeploymentProgress['step']) =>
  eventually(async () => (await h.query(progressQuery)).step === step, 120_000, `step ${step}`);

beforeAll(async () => {
  sim = await startSimulator({ symbols: SYMBOLS.map((symbol) => ({ symbol, rate: 50 })) });
  const topic = uniqueName('test.trades');
  config = loadConfig(process.env, {
    binance_ws_urls: [sim.urls.ws],
    binance_rest_urls: [sim.urls.rest],
    kafka_topic: topic,
    kafka_dlq_topic: `${topic}.dlq`,
    kafka_partitions: 3,
    task_queue: `${run}-stream`,
    deploy_task_queue: `${run}-deploy`,
    deployment_name: `${run}-deployment`,
    workflow_id: `${run}-session`,
    build_id: builds.a,
    heartbeat_timeout_seconds: 5,
    status_report_interval_seconds: 1,
    symbols: SYMBOLS,
  });
  connection = await connectTemporal(config);
  client = new Client({ connection, namespace: config.temporal_namespace });
  blue = new ChildWorker(config);
  startDeployer();
  session = await client.workflow.start(streamSession, {
    taskQueue: config.task_queue,
    workflowId: config.workflow_id,
    args: [{ symbols: SYMBOLS, heartbeatTimeoutMs: 5_000, searchAttributes: false }],
  });
  await eventually(async () => (await sessionBuild()) === builds.a, 60_000, 'the session streaming on blue');
}, 180_000);

afterAll(async () => {
  await session?.terminate('test over').catch(() => undefined);
  for (const b of Object.values(builds)) {
    const r = readRecord(workerRecordName(b, 'green'));
    if (r) process.kill(r.pid, 'SIGKILL');
  }
  if (deployer && deployer.exitCode === null) await killDeployer('SIGTERM');
  if (blue.process.exitCode === null) await blue.kill('SIGTERM');
  await connection?.close();
  await sim?.stop();
}, 120_000);

test('a deployment lands: green shadows blue, the session cuts over at its rotation, blue stops; the deployer restarts midway', async () => {
  const h = await startDeployment(builds.b);
  await untilStep(h, 'dual operation');
  // The deployer's own process dies in the middle of dual operation; a new one carries on.
  await killDeployer('SIGKILL');
  await sleep(2_000);
  startDeployer();
  const result = await h.result();
  expect({ outcome: result.outcome, reason: result.reason }).toEqual({ outcome: 'deployed', reason: undefined });
  expect(result.steps.map((s) => [s.step, s.ok])).toEqual(
    ['preflight', 'build', 'start green', 'smoke test', 'dual operation', 'cutover', 'validation', 'finish'].map((s) => [s, true]),
  );
  expect(result.comparisons.length).toBeGreaterThanOrEqual(1);
  for (const c of result.comparisons) expect(c.symbols.map((s) => s.symbol).sort()).toEqual([...SYMBOLS].sort());
  expect(result.cutoverGapMs).toBeGreaterThan(0);
  expect(await sessionBuild()).toBe(builds.b);
  // Blue was stopped by the deployment, and stays down.
  expect(await blue.exited).toBe(0);
}, 300_000);

test('a green that fails its smoke test (it cannot reach Kafka) is stopped; blue is untouched', async () => {
  const h = await startDeployment(builds.c, { greenEnv: { KAFKA_BROKERS: '127.0.0.1:1' } });
  const result = await h.result();
  expect(result.outcome).toBe('rolled back');
  expect(result.reason).toMatch(/smoke test failed/);
  expect(result.steps.find((s) => s.step === 'cutover')).toBeUndefined();
  expect(readRecord(workerRecordName(builds.c, 'green'))).toBeUndefined();
  expect(await sessionBuild()).toBe(builds.b);
}, 300_000);

test('abort during dual operation rolls back cleanly', async () => {
  const h = await startDeployment(builds.d, { dualMs: 60_000 });
  await untilStep(h, 'dual operation');
  await h.signal(abortSignal, 'test');
  const result = await h.result();
  expect(result.outcome).toBe('rolled back');
  expect(result.reason).toMatch(/aborted: test/);
  expect(readRecord(workerRecordName(builds.d, 'green'))).toBeUndefined();
  expect(await sessionBuild()).toBe(builds.b);
}, 300_000);

test('green killed during validation: rollback to blue in under 2 minutes', async () => {
  const h = await startDeployment(builds.e, { validateMs: 60_000 });
  await untilStep(h, 'validation');
  const green = readRecord(workerRecordName(builds.e, 'green'))!;
  process.kill(green.pid, 'SIGKILL');
  const result = await h.result();
  expect(result.outcome).toBe('rolled back');
  expect(result.rollbackMs).toBeLessThan(120_000);
  process.stdout.write(`\nrollback after green was killed: ${result.rollbackMs} ms (decision to first trade on blue)\n`);
  await eventually(async () => (await sessionBuild()) === builds.b, 30_000, 'the session back on blue');
}, 300_000);

test('through all four deployments: every id of every symbol exactly once', async () => {
  const { final, decoded, truth } = await stopAndReadTruth(sim, session, config.kafka_topic, SYMBOLS);
  expectExactlyOnce(decoded, truth, { label: 'blue-green' });
  for (const s of SYMBOLS) expect(final.cursor[s]).toBe(truth[s].lastId);
  expect(final.state).toBe('stopped');
}, 180_000);
