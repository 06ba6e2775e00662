import { ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { changedSettingsEnv, configEnv } from '../../lib/config-env';
import { Config, loadConfig } from '../../lib/config';
import { composeDriver, imageFor } from '../../lib/deploy/compose-driver';
import { DeployDriver } from '../../lib/deploy/deploy-driver';
import { pendingActivityBuild } from '../../lib/deploy/worker-deployment';
import { dockerCliEnv, dockerReady, installDocker, missingDockerPackages } from '../../ops/infra/docker';
import { ensureBaseImages } from '../../ops/infra/docker-images';
import { infraDown, infraUp } from '../../ops/infra/stack';
import { BinanceSimulator, startSimulator } from '../../simulator/simulator';
import { blueGreenDeployment, streamSession } from '../../workflows';
import { eventually } from '../helpers/metrics';
import { uniqueName } from '../helpers/names';
import { expectExactlyOnce, stopAndReadTruth } from '../helpers/stream-env';

// The compose driver on real parts: two images of the repo built offline from the local Node
// image, blue and green as docker-compose services on the host's network against the local
// Temporal and Kafka, a deployer process cutting a live session over between the containers.

const run = promisify(execFile);
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const name = uniqueName('cd');
const project = name.replace(/[^a-z0-9]/g, '');
const builds = { a: `${name}-a`, b: `${name}-b` };
const k2 = join(__dirname, '../../bin/k2.js');

let dockerStartedHere = false;
let sim: BinanceSimulator;
let config: Config;
let connection: Connection;
let client: Client;
let driver: DeployDriver;
let deployer: ChildProcess | undefined;
let session: WorkflowHandle<typeof streamSession>;

const sessionBuild = async () => (await pendingActivityBuild(client.workflowService, config.temporal_namespace, session.workflowId))?.buildId;

beforeAll(async () => {
  if (!(await dockerReady()) && missingDockerPackages().length > 0) await installDocker();
  dockerStartedHere = (await infraUp(['docker']))[0].state === 'started';
  await ensureBaseImages();
  sim = await startSimulator({ symbols: SYMBOLS.map((symbol) => ({ symbol, rate: 40 })) });
  const topic = uniqueName('test.trades');
  config = loadConfig(process.env, {
    binance_ws_urls: [sim.urls.ws],
    binance_rest_urls: [sim.urls.rest],
    kafka_topic: topic,
    kafka_dlq_topic: `${topic}.dlq`,
    task_queue: `${name}-stream`,
    deploy_task_queue: `${name}-deploy`,
    deployment_name: `${name}-deployment`,
    workflow_id: `${name}-session`,
    build_id: builds.a,
    heartbeat_timeout_seconds: 5,
    status_report_interval_seconds: 1,
    symbols: SYMBOLS,
  });
  connection = await Connection.connect({ address: config.temporal_address });
  client = new Client({ connection, namespace: config.temporal_namespace });
  driver = composeDriver({ settingsEnv: changedSettingsEnv(config), project });
}, 600_000);

afterAll(async () => {
  await session?.terminate('test over').catch(() => undefined);
  if (deployer && deployer.exitCode === null) {
    const exited = new Promise((r) => deployer!.once('exit', r));
    deployer.kill('SIGTERM');
    await exited;
  }
  for (const b of Object.values(builds)) {
    await driver?.stop(b).catch(() => undefined);
    await run('docker', ['rmi', imageFor(b)], { env: dockerCliEnv() }).catch(() => undefined);
  }
  await connection?.close();
  await sim?.stop();
  if (dockerStartedHere && process.env.K2_KEEP_INFRA !== '1') await infraDown(['docker']);
}, 180_000);

test('docker-compose accepts docker-compose.yml: every service on the host network behind an init', async () => {
  // docker-compose 1.29 validates the file and prints it resolved (env files read, profiles kept).
  const { stdout } = await run('docker-compose', ['-f', join(__dirname, '../../docker-compose.yml'), 'config'], { env: dockerCliEnv(), cwd: '/' });
  const services = [...stdout.matchAll(/^ {2}([a-z-]+):$/gm)].map((m) => m[1]).filter((s) => s !== 'temporal-data');
  expect(services).toEqual(expect.arrayContaining(['temporal', 'kafka', 'worker', 'worker-blue', 'worker-green']));
  expect(stdout).not.toMatch(/ports:|networks:|bridge/);
  expect(stdout.match(/network_mode: host/g)?.length).toBe(services.length);
  expect(stdout.match(/init: true/g)?.length).toBe(services.length);
}, 60_000);

test('a deployment between two image builds: blue and green as containers, the session cuts over, blue stops, every id once', async () => {
  const built = await driver.build(builds.a);
  process.stdout.write(`\nimage ${built.artifact} built in ${built.ms} ms\n`);
  const blue = await driver.start(builds.a, {});
  expect(blue.detail).toMatch(/^worker-(blue|green) of /);
  deployer = spawn(process.execPath, [k2, 'deployer'], {
    env: configEnv(config, { LOG_LEVEL: 'warn', COMPOSE_PROJECT_NAME: project }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  session = await client.workflow.start(streamSession, {
    taskQueue: config.task_queue,
    workflowId: config.workflow_id,
    args: [{ symbols: SYMBOLS, heartbeatTimeoutMs: 5_000, searchAttributes: false }],
  });
  await eventually(async () => (await sessionBuild()) === builds.a, 120_000, 'the session streaming on the blue container');
  expect(await driver.rssMb(builds.a)).toBeGreaterThan(30);

  const h = await client.workflow.start(blueGreenDeployment, {
    taskQueue: config.deploy_task_queue,
    workflowId: `deploy-${builds.b}`,
    args: [{ buildId: builds.b, driver: 'compose', smokeMs: 6_000, dualMs: 10_000, validateMs: 8_000, checkEveryMs: 4_000 }],
  });
  const result = await h.result();
  expect({ outcome: result.outcome, reason: result.reason }).toEqual({ outcome: 'deployed', reason: undefined });
  expect(result.steps.map((s) => [s.step, s.ok])).toEqual(
    ['preflight', 'build', 'start green', 'smoke test', 'dual operation', 'cutover', 'validation', 'finish'].map((s) => [s, true]),
  );
  expect(result.steps.find((s) => s.step === 'build')?.summary).toContain(imageFor(builds.b));
  process.stdout.write(`compose deployment: cutover gap ${result.cutoverGapMs} ms\n`);
  expect(await sessionBuild()).toBe(builds.b);
  // Blue's container is gone; green's runs.
  expect(await driver.rssMb(builds.a)).toBeUndefined();
  expect(await driver.rssMb(builds.b)).toBeGreaterThan(30);

  const { final, decoded, truth } = await stopAndReadTruth(sim, session, config.kafka_topic, SYMBOLS);
  expectExactlyOnce(decoded, truth, { label: 'compose blue-green' });
  for (const s of SYMBOLS) expect(final.cursor[s]).toBe(truth[s].lastId);
}, 900_000);
