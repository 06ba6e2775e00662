import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { connectTemporal } from '../../lib/temporal/connection';
import { Kafka } from 'kafkajs';
import { startSession } from '../../cli/session';
import { loadConfig } from '../../lib/config';
import { BinanceSimulator, startSimulator } from '../../simulator/simulator';
import { createStreamWorker, StreamWorker } from '../../workers/create-worker';
import { statusQuery, stopSignal } from '../../workflows/stream-session-api';
import { readTopic, testKafka } from '../helpers/kafka';
import { eventually } from '../helpers/metrics';
import { uniqueName } from '../helpers/names';
import { compareIds, idsBySymbol, reachedTruth } from '../helpers/stream-env';
import { decodeTrade, DecodedTrade } from '../helpers/trade-decoder';

// `k2 demo` once ran on the production session: the simulator's time-based ids (~1.7e14)
// became its cursor and the next real session dropped every trade as a duplicate. Here a real
// `k2 demo` runs with "production" names of this test's own, then a production-like session on
// exactly those names must write every trade of a real-like exchange (ids ~1e8-1e9).

const k2 = join(__dirname, '../../bin/k2.js');
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'];
// The configured names of this test's "production"; the demo must derive its own from them.
const prod = uniqueName('demo-isolation');
const demoWorkflowId = `${prod}-demo`;
const demoTopic = `demo.${prod}`;

let connection: Connection;
let client: Client;
let kafka: Kafka;
let demo: ChildProcess | undefined;
let sim: BinanceSimulator | undefined;
let worker: StreamWorker | undefined;
let running: Promise<void> | undefined;

beforeAll(async () => {
  const config = loadConfig();
  connection = await connectTemporal(config);
  client = new Client({ connection, namespace: config.temporal_namespace });
  kafka = testKafka();
});

afterAll(async () => {
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    demo.kill('SIGINT'); // lets it stop its worker and simulator children too
    await once(demo, 'exit');
  }
  worker?.shutdown();
  await running?.catch(() => undefined);
  await worker?.close();
  await sim?.stop();
  for (const id of [demoWorkflowId, prod]) await client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  await connection.close();
});

/** A port whose next port is free too: the demo's simulator takes both (WebSocket/REST and control). */
async function freePortPair(): Promise<number> {
  const listen = (port: number) =>
    new Promise<Server | undefined>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(undefined));
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  const close = (s: Server | undefined) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
  for (;;) {
    const first = await listen(0);
    const port = (first!.address() as { port: number }).port;
    const second = port < 65535 ? await listen(port + 1) : undefined;
    await close(first);
    await close(second);
    if (second) return port;
  }
}

/** The topic's end offsets summed (transaction markers included): 0 while nothing was ever appended, or no topic. */
async function recordOffsets(topic: string): Promise<number> {
  // A fresh admin each time: kafkajs keeps a topic's leader from its first look, and a topic
  // created a moment ago may have had none yet.
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** While waiting, a retriable Kafka error (a new topic's leader not elected yet) means "not yet". */
const notYet = (err: unknown): number => {
  if ((err as { retriable?: boolean }).retriable) return 0;
  throw err;
};

/** The topic's records, decoded, read until `done` holds. */
async function topicTrades(topic: string, done: (t: DecodedTrade[]) => boolean, timeoutMs: number): Promise<DecodedTrade[]> {
  const decoded: DecodedTrade[] = [];
  await readTopic(
    kafka,
    topic,
    (m) => {
      for (let i = decoded.length; i < m.length; i++) decoded.push(decodeTrade(m[i].value!));
      return done(decoded);
    },
    timeoutMs,
  );
  return decoded;
}

async function workflowExists(workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

test('k2 demo writes simulator trades under names derived from the configured ones, never the configured ones', async () => {
  const port = await freePortPair();
  demo = spawn(process.execPath, [k2, 'demo', '--port', String(port), '--rate', '20', '--rotate-every', '5'], {
    env: {
      ...process.env,
      WORKFLOW_ID: prod,
      KAFKA_TOPIC: prod,
      KAFKA_DLQ_TOPIC: `${prod}.dlq`,
      TASK_QUEUE: prod,
      DEPLOYMENT_NAME: prod,
      DEPLOY_TASK_QUEUE: `${prod}-deploy`,
      // Port 0 turns the worker's metrics endpoints off, so a running `npm start` keeps its ports.
      METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  demo.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  demo.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(demo, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let gone = false;
  void exited.then(() => (gone = true));

  // The worker child builds its workflow bundle first: wait for records, not for a set time.
  await eventually(
    async () => {
      if (gone) throw new Error(`k2 demo exited early\nstdout:\n${stdout}\nstderr:\n${stderr.slice(-4000)}`);
      // The regression this test is about: say so at once rather than time out.
      if ((await workflowExists(prod)) || (await recordOffsets(prod).catch(notYet)) > 0) {
        throw new Error(`k2 demo used the configured names\nstdout:\n${stdout}`);
      }
      return (await recordOffsets(demoTopic).catch(notYet)) > 0;
    },
    150_000,
    'k2 demo to write to its topic',
  );
  // Let it stream on, across its 5 s planned rotations, before the operator's Ctrl-C.
  await new Promise((r) => setTimeout(r, 8_000));
  demo.kill('SIGINT');
  const [code, signal] = await exited;
  expect({ code, signal, stderr: code === 0 ? '' : stderr.slice(-4000) }).toEqual({ code: 0, signal: null, stderr: '' });

  // It said which names it uses, and showed its own session in the Web UI link.
  expect(stdout).toContain(`session ${demoWorkflowId}`);
  expect(stdout).toContain(`topic ${demoTopic}`);
  expect(stdout).toContain(`dead letters demo.${prod}.dlq`);
  if (!process.env.TEMPORAL_ADDRESS) expect(stdout).toMatch(new RegExp(`Temporal Web UI: \\S+/workflows/${demoWorkflowId}\\s`));

  // The demo's session and topic hold the simulator's time-based ids.
  const d = await client.workflow.getHandle(demoWorkflowId).describe();
  expect({ type: d.type, taskQueue: d.taskQueue }).toEqual({ type: 'streamSession', taskQueue: `${prod}-demo` });
  const demoTrades = await topicTrades(demoTopic, (t) => new Set(t.map((x) => x.symbol)).size === SYMBOLS.length, 20_000);
  expect(demoTrades.length).toBeGreaterThan(0);
  expect(new Set(demoTrades.map((t) => t.symbol))).toEqual(new Set(SYMBOLS));
  expect(Math.min(...demoTrades.map((t) => t.source_sequence!))).toBeGreaterThan(1e13);

  // The configured names stayed untouched: no session, no records.
  expect(await workflowExists(prod)).toBe(false);
  // Offsets, not a reader: not one record, committed or aborted, was ever appended.
  for (const topic of [prod, `${prod}.dlq`]) expect({ topic, offsets: await recordOffsets(topic) }).toEqual({ topic, offsets: 0 });
}, 240_000);

test('afterwards a session on the configured names writes every trade of a real-like exchange', async () => {
  sim = await startSimulator({ firstIds: 'hash', symbols: SYMBOLS.map((symbol) => ({ symbol, rate: 20 })) });
  const config = loadConfig(process.env, {
    binance_ws_urls: [sim.urls.ws],
    binance_rest_urls: [sim.urls.rest],
    workflow_id: prod,
    task_queue: prod,
    deployment_name: prod,
    kafka_topic: prod,
    kafka_dlq_topic: `${prod}.dlq`,
    kafka_partitions: 3,
    symbols: SYMBOLS,
    status_report_interval_seconds: 1,
  });
  worker = await createStreamWorker({ config });
  running = worker.worker.run();
  // The same call `k2 start` makes, so a session the demo had left on these names would be continued.
  const { session, started } = await startSession(config, { symbols: config.symbols, workflowId: config.workflow_id });
  try {
    expect(started).toBe(true);
    await eventually(
      async () => {
        const s = await session.handle.query(statusQuery);
        return s.state === 'streaming' && SYMBOLS.every((symbol) => (s.perSymbol[symbol]?.total ?? 0) >= 40);
      },
      120_000,
      'the session to write trades of every symbol',
    );
    sim.pauseMarket();
    const truth = Object.fromEntries(SYMBOLS.map((symbol) => [symbol, sim!.groundTruth(symbol)!]));
    await session.handle.signal(stopSignal);
    const final = await session.handle.result();
    expect(final.state).toBe('stopped');

    const trades = await topicTrades(prod, (t) => reachedTruth(t, truth), 30_000);
    const bySymbol = idsBySymbol(trades);
    expect(new Set(bySymbol.keys())).toEqual(new Set(SYMBOLS));
    for (const symbol of SYMBOLS) {
      const ids = bySymbol.get(symbol)!;
      const first = Math.min(...ids);
      // The session joins a live stream: everything from its first trade on must be there once.
      expect(first).toBeGreaterThanOrEqual(truth[symbol].firstId);
      expect(first).toBeLessThan(1e10);
      const { missing, duplicated } = compareIds(ids, first, truth[symbol].lastId);
      expect({ symbol, missing, duplicated }).toEqual({ symbol, missing: [], duplicated: [] });
      expect(final.cursor[symbol]).toBe(truth[symbol].lastId);
    }
  } finally {
    await session.close();
  }
}, 240_000);
