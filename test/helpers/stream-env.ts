import { Client, WorkflowHandle } from '@temporalio/client';
import { connectTemporal } from '../../lib/temporal/connection';
import { Config, loadConfig, SettingName } from '../../lib/config';
import { BinanceSimulator, SimulatorOptions, startSimulator } from '../../simulator/simulator';
import { createStreamWorker, StreamWorker } from '../../workers/create-worker';
import { streamSession } from '../../workflows';
import { StreamSessionInput, stopSignal } from '../../workflows/stream-session-api';
import { sessionMetadata } from '../../workflows/stream-session-status';
import { readToEnd, readTopic, testKafka } from './kafka';
import { uniqueName } from './names';
import { ChildWorker } from './child-worker';
import { decodeTrade, DecodedTrade } from './trade-decoder';

/**
 * A stream session against the simulator on the real Temporal server and Kafka broker, with
 * its own topic, task queue and workflow id, so tests never see each other's trades.
 */
export interface StreamEnv {
  sim: BinanceSimulator;
  config: Config;
  client: Client;
  /** The in-process worker, unless the test runs its workers as child processes. */
  worker?: StreamWorker;
  children: ChildWorker[];
  spawnWorker(extraEnv?: NodeJS.ProcessEnv): ChildWorker;
  /** Pid of the worker process that runs the session's activity now, from the server's view. */
  activityWorkerPid(): Promise<number | undefined>;
  handle?: WorkflowHandle<typeof streamSession>;
  start(input?: Partial<StreamSessionInput>): Promise<WorkflowHandle<typeof streamSession>>;
  /** Trades in the topic until `done` holds; fails if it does not within `timeoutMs`. */
  trades(done: (t: DecodedTrade[]) => boolean, timeoutMs?: number): Promise<DecodedTrade[]>;
  /** Dead-letter records until `done` holds; fails if it does not within `timeoutMs`. */
  dlq(done: (n: number) => boolean, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  /** Every dead-letter record written so far. */
  dlqAll(): Promise<Record<string, unknown>[]>;
  teardown(): Promise<void>;
}

export async function streamEnv(
  o: {
    simulator?: Partial<SimulatorOptions>;
    settings?: Partial<Record<SettingName, unknown>>;
    childWorkers?: boolean;
    /** Another Kafka than the shared one (a test cluster). */
    brokers?: string[];
  } = {},
): Promise<StreamEnv> {
  const sim = await startSimulator({ controlPort: 0, ...o.simulator });
  const topic = uniqueName('test.trades');
  const config = loadConfig(process.env, {
    binance_ws_urls: [sim.urls.ws],
    binance_rest_urls: [sim.urls.rest],
    kafka_topic: topic,
    kafka_dlq_topic: `${topic}.dlq`,
    kafka_partitions: 3,
    task_queue: uniqueName('stream'),
    // A Worker Deployment per test: a current version set by one test never routes another's tasks.
    deployment_name: uniqueName('k2-test'),
    status_report_interval_seconds: 1,
    ...(o.brokers ? { kafka_brokers: o.brokers } : {}),
    ...(sim.urls.caFile ? { custom_ca_bundle: sim.urls.caFile } : {}),
    ...o.settings,
  });
  const connection = await connectTemporal(config);
  const client = new Client({ connection, namespace: config.temporal_namespace });
  const kafka = testKafka(o.brokers);
  const worker = o.childWorkers ? undefined : await createStreamWorker({ config });
  const running = worker?.worker.run();
  const env: StreamEnv = {
    sim,
    config,
    client,
    worker,
    children: [],
    spawnWorker(extraEnv) {
      const child = new ChildWorker(config, extraEnv);
      env.children.push(child);
      return child;
    },
    async activityWorkerPid() {
      if (!env.handle) return undefined;
      const d = await client.workflowService.describeWorkflowExecution({
        namespace: config.temporal_namespace,
        execution: { workflowId: env.handle.workflowId },
      });
      const identity = d.pendingActivities?.[0]?.lastWorkerIdentity ?? '';
      const pid = Number(identity.split('@')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    },
    async start(input = {}) {
      const workflowId = uniqueName('session');
      const symbols = input.symbols ?? sim.options.symbols.map((s) => s.symbol);
      env.handle = await client.workflow.start(streamSession, {
        taskQueue: config.task_queue,
        workflowId,
        args: [
          {
            symbols,
            heartbeatTimeoutMs: config.heartbeat_timeout_seconds * 1000,
            searchAttributes: false,
            ...input,
          },
        ],
        ...sessionMetadata({ symbols, topic: config.kafka_topic, dlqTopic: config.kafka_dlq_topic, build: config.build_id, workflowId }),
      });
      return env.handle;
    },
    async trades(done, timeoutMs = 30_000) {
      // Decoded as they arrive: `done` sees every trade so far without decoding them again.
      const decoded: DecodedTrade[] = [];
      await readTopic(
        kafka,
        topic,
        (m) => {
          for (let i = decoded.length; i < m.length; i++) decoded.push(decodeTrade(m[i].value!));
          return done(decoded);
        },
        timeoutMs,
        'the awaited trades',
      );
      return decoded;
    },
    async dlq(done, timeoutMs = 30_000) {
      const messages = await readTopic(kafka, `${topic}.dlq`, (m) => done(m.length), timeoutMs, 'the awaited dead letters');
      return messages.map((m) => JSON.parse(m.value!.toString()) as Record<string, unknown>);
    },
    async dlqAll() {
      return (await readToEnd(kafka, `${topic}.dlq`)).map((m) => JSON.parse(m.value!.toString()) as Record<string, unknown>);
    },
    async teardown() {
      worker?.shutdown();
      await running?.catch(() => undefined);
      await Promise.all(env.children.map((c) => c.kill('SIGTERM')));
      await env.handle?.terminate('test over').catch(() => undefined);
      await worker?.close();
      await connection.close();
      await sim.stop();
    },
  };
  return env;
}

/** Per symbol: ids in topic order. */
export function idsBySymbol(trades: DecodedTrade[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const t of trades) {
    let ids = out.get(t.symbol);
    if (!ids) out.set(t.symbol, (ids = []));
    ids.push(t.source_sequence!);
  }
  return out;
}

/** Missing and duplicated ids of one symbol against the contiguous range [first, last]. */
export function compareIds(ids: number[], first: number, last: number): { missing: number[]; duplicated: number[] } {
  const seen = new Map<number, number>();
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  const missing: number[] = [];
  for (let id = first; id <= last; id++) if (!seen.has(id)) missing.push(id);
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  return { missing, duplicated };
}

export interface ExactlyOnceReport {
  emitted: number;
  written: number;
  missing: number;
  duplicated: number;
  unrecoverable: number;
}

/**
 * The proof every fault ends with: for every configured symbol (one with no record fails), each
 * id from the first written to the simulator's last generated is in the topic exactly once,
 * except ids the pipeline reported unrecoverable, which must be missing exactly.
 */
export function expectExactlyOnce(
  trades: DecodedTrade[],
  truth: Record<string, { lastId: number }>,
  o: { label?: string; unrecoverable?: Record<string, unknown>[]; symbols?: string[] } = {},
): ExactlyOnceReport {
  const bySymbol = idsBySymbol(trades);
  const symbols = o.symbols ?? Object.keys(truth);
  expect({ label: o.label, written: [...bySymbol.keys()].sort() }).toEqual({ label: o.label, written: [...symbols].sort() });
  const report: ExactlyOnceReport = { emitted: 0, written: trades.length, missing: 0, duplicated: 0, unrecoverable: 0 };
  for (const symbol of symbols) {
    const ids = bySymbol.get(symbol) ?? [];
    const first = ids.reduce((a, b) => Math.min(a, b), Infinity);
    const diff = compareIds(ids, first, truth[symbol].lastId);
    const lost = (o.unrecoverable ?? [])
      .filter((r) => r.symbol === symbol)
      .flatMap((r) => Array.from({ length: (r.to_id as number) - (r.from_id as number) + 1 }, (_, i) => (r.from_id as number) + i));
    report.emitted += truth[symbol].lastId - first + 1;
    report.missing += diff.missing.length;
    report.duplicated += diff.duplicated.length;
    report.unrecoverable += lost.length;
    // Where loss is by design, it must be exactly what was reported, id for id.
    expect({ label: o.label, symbol, missing: diff.missing, duplicated: diff.duplicated }).toEqual({ label: o.label, symbol, missing: lost, duplicated: [] });
  }
  return report;
}

const scans = new WeakMap<DecodedTrade[], { scanned: number; max: Map<string, number> }>();

/**
 * True once every symbol's trades in the topic reach the simulator's last generated id. Called
 * after every record a reader gets, so it remembers how far it scanned: linear, not quadratic,
 * over a million records.
 */
export function reachedTruth(trades: DecodedTrade[], truth: Record<string, { lastId: number }>): boolean {
  let scan = scans.get(trades);
  if (!scan) scans.set(trades, (scan = { scanned: 0, max: new Map() }));
  for (; scan.scanned < trades.length; scan.scanned++) {
    const t = trades[scan.scanned];
    if (t.source_sequence! > (scan.max.get(t.symbol) ?? -Infinity)) scan.max.set(t.symbol, t.source_sequence!);
  }
  return Object.entries(truth).every(([symbol, { lastId }]) => (scan.max.get(symbol) ?? -Infinity) >= lastId);
}

/**
 * The end of a session test: the market stops, the session is stopped and drains, and the topic is
 * read until every symbol reaches the simulator's last generated id. The caller asserts on it.
 */
export async function stopAndReadTruth(
  sim: BinanceSimulator,
  session: WorkflowHandle<typeof streamSession>,
  topic: string,
  symbols: string[],
): Promise<{ final: Awaited<ReturnType<WorkflowHandle<typeof streamSession>['result']>>; decoded: DecodedTrade[]; truth: Record<string, { firstId: number; lastId: number }> }> {
  sim.pauseMarket();
  await new Promise((r) => setTimeout(r, 500));
  await session.signal(stopSignal);
  const final = await session.result();
  const truth = Object.fromEntries(symbols.map((s) => [s, sim.groundTruth(s)!]));
  const decoded: DecodedTrade[] = [];
  await readTopic(testKafka(), topic, (m) => {
    for (let i = decoded.length; i < m.length; i++) decoded.push(decodeTrade(m[i].value!));
    return reachedTruth(decoded, truth);
  }, 60_000, 'every trade up to the last generated');
  return { final, decoded, truth };
}
