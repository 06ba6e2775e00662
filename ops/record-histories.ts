import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Client, WorkflowHandle } from '@temporalio/client';
import { connectTemporal } from '../lib/temporal/connection';
import { temporal } from '@temporalio/proto';
import { Config, envName, loadConfig, settingNames } from '../lib/config';
import { createKafka } from '../lib/kafka/client';
import { Secret } from '../lib/secret';
import { createLogger } from '../lib/logger';
import { projectRoot } from '../lib/paths';
import { startSimulator } from '../simulator/simulator';
import { createStreamWorker, StreamWorker } from '../workers/create-worker';
import { installTemporalRuntime } from '../workers/temporal-runtime';
import type { streamSession } from '../workflows/stream-session';
import {
  pauseSignal,
  resetCursorSignal,
  resumeSignal,
  rotateSignal,
  SessionStatus,
  statusQuery,
  stopSignal,
  StreamSessionInput,
} from '../workflows/stream-session-api';
import { waitUntil } from './infra/readiness';

// Records real streamSession histories for the determinism guard (test/unit/workflows/replay.test.ts):
// one scenario per fixture, each against the simulator, the local Temporal server and Kafka,
// with real workers. Run it compiled (`npm run record:histories [scenario…]`): the kill scenarios
// SIGKILL worker processes started from the same compiled tree as this file.

const log = createLogger('record-histories');

const fixturesDir = join(projectRoot, 'test', 'fixtures', 'histories');

/**
 * One fixture file: every run of one session, first to last. A history is written as
 * @temporalio/proto's `History.toObject` gives it (int64 as strings, enums by name, bytes in
 * base64) and read back with `History.fromObject`, not with historyToJSON/historyFromJSON:
 * those throw "type must be a Type" here, since @temporalio/common and @temporalio/proto each
 * get their own nested copy of protobufjs 8 (the top-level one is 7, for the schema registry).
 */
export interface HistoryFixture {
  scenario: string;
  covers: string;
  workflowId: string;
  recordedAt: string;
  /** HEAD when recorded: the workflow code that wrote the histories (unless it had local changes). */
  commit: string;
  runs: { runId: string; history: { events: Record<string, unknown>[] } }[];
}

type Run = HistoryFixture['runs'][number];

interface Recording {
  /** The session's current run: signals and queries follow its continue-as-new chain. */
  handle: WorkflowHandle<typeof streamSession>;
  status(): Promise<SessionStatus>;
  waitFor(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** Until every symbol's last trade in `status` is newer than `since`, in the run current then. */
  streaming(since?: number): Promise<void>;
  /** SIGKILLs the child worker that runs the activity now; returns its pid. */
  killActivityWorker(): Promise<number>;
  activity(): Promise<{ pid?: number; attempt?: number }>;
}

interface Scenario {
  name: string;
  /** What the histories show; `check` proves the recording does, or the fixture would claim too much. */
  covers: string;
  session?: Partial<StreamSessionInput>;
  /** Workers as child processes, so the activity's worker can be killed; else one in this process. */
  childWorkers?: number;
  drive(r: Recording): Promise<void>;
  check(runs: Run[]): boolean;
}

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Event kinds of a run in order, named as in the JSON (`activityTaskTimedOut`). */
const kinds = (run: Run) => run.history.events.map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes'))?.replace(/EventAttributes$/, ''));
const lastKind = (run: Run) => kinds(run).at(-1);
const signals = (run: Run) =>
  run.history.events.flatMap((e) => {
    const a = e.workflowExecutionSignaledEventAttributes as { signalName?: string } | undefined;
    return a?.signalName && a.signalName !== 'progress' ? [a.signalName] : [];
  });
const continuesAsNew = (run: Run) => lastKind(run) === 'workflowExecutionContinuedAsNew';

const scenarios: Scenario[] = [
  {
    name: 'rotation',
    covers: 'two rotations at the end of a 3 s connection lifetime (continue-as-new with the cursor), then stop',
    session: { maxLifetimeMs: 3_000 },
    async drive(r) {
      await r.waitFor('the third run', async () => (await r.status()).rotation >= 2);
      await r.handle.signal(stopSignal);
    },
    check: (runs) => runs.length >= 3 && runs.slice(0, -1).every(continuesAsNew),
  },
  {
    name: 'pause-resume',
    covers: 'pause (the activity cancelled, the session waits), resume (a new activity in the same run), then stop',
    async drive(r) {
      await r.streaming();
      await r.handle.signal(pauseSignal);
      await r.waitFor('the session paused', async () => (await r.status()).state === 'paused');
      await sleep(1_000);
      const resumedAt = Date.now();
      await r.handle.signal(resumeSignal);
      await r.streaming(resumedAt);
      await r.handle.signal(stopSignal);
    },
    check: (runs) =>
      runs.length === 1 &&
      signals(runs[0]).join() === 'pause,resume,stop' &&
      kinds(runs[0]).filter((k) => k === 'activityTaskScheduled').length === 2,
  },
  {
    name: 'crash-retry',
    covers: "the activity's worker SIGKILLed, the attempt timed out on heartbeat (5 s), a second worker's retry streams, then stop",
    session: { heartbeatTimeoutMs: 5_000 },
    childWorkers: 2,
    async drive(r) {
      await r.streaming();
      const killed = await r.killActivityWorker();
      const killedAt = Date.now();
      await r.waitFor('the retry on the other worker', async () => {
        const a = await r.activity();
        return (a.attempt ?? 0) >= 2 && a.pid !== undefined && a.pid !== killed;
      });
      await r.streaming(killedAt);
      await r.handle.signal(stopSignal);
    },
    check: (runs) =>
      runs.length === 1 &&
      runs[0].history.events.some((e) => ((e.activityTaskStartedEventAttributes as { attempt?: number } | undefined)?.attempt ?? 0) >= 2),
  },
  {
    name: 'stop',
    covers: 'a plain session that streams and completes after stop',
    async drive(r) {
      await r.streaming();
      await sleep(2_000);
      await r.handle.signal(stopSignal);
    },
    check: (runs) => runs.length === 1 && signals(runs[0]).join() === 'stop',
  },
  {
    name: 'kill-then-rotate',
    covers: "the activity's worker SIGKILLed and rotate sent before the heartbeat timeout: the cancelled attempt times out, the run continues-as-new without a result, the next run streams on the other worker, then stop",
    // The workflow task that handles `rotate` may wait out the dead worker's sticky queue (10 s):
    // a 20 s heartbeat timeout (the worker's default) keeps the signal ahead of the timeout.
    session: { heartbeatTimeoutMs: 20_000 },
    childWorkers: 2,
    async drive(r) {
      await r.streaming();
      await r.killActivityWorker();
      const killedAt = Date.now();
      await r.handle.signal(rotateSignal, 'sent after a kill');
      await r.waitFor('the next run', async () => (await r.status()).rotation >= 1, 120_000);
      await r.streaming(killedAt);
      await r.handle.signal(stopSignal);
    },
    check: (runs) =>
      runs.length === 2 &&
      continuesAsNew(runs[0]) &&
      kinds(runs[0]).includes('activityTaskCancelRequested') &&
      kinds(runs[0]).includes('activityTaskTimedOut') &&
      !kinds(runs[0]).includes('activityTaskCompleted'),
  },
  {
    name: 'kill-then-stop',
    covers: "the activity's worker SIGKILLed and stop sent before the heartbeat timeout: the cancelled attempt times out, the session catches up from REST on the other worker (catchUpOnly) and completes",
    session: { heartbeatTimeoutMs: 20_000 },
    childWorkers: 2,
    async drive(r) {
      await r.streaming();
      await r.killActivityWorker();
      await r.handle.signal(stopSignal);
    },
    check: (runs) =>
      runs.length === 1 &&
      kinds(runs[0]).includes('activityTaskTimedOut') &&
      kinds(runs[0]).filter((k) => k === 'activityTaskScheduled').length === 2,
  },
  {
    name: 'reset-cursor',
    covers: 'resetCursor {symbol: BTCUSDT} while streaming: the run rotates with the reset in force, the next run streams, then stop',
    async drive(r) {
      await r.streaming();
      const resetAt = Date.now();
      await r.handle.signal(resetCursorSignal, { symbol: 'BTCUSDT' });
      await r.waitFor('the run after the reset', async () => (await r.status()).rotation >= 1);
      await r.streaming(resetAt);
      await r.handle.signal(stopSignal);
    },
    check: (runs) => runs.length === 2 && continuesAsNew(runs[0]) && signals(runs[0]).includes('resetCursor'),
  },
];

/**
 * Polls `check` until it holds. A failing check counts as not yet (a query meets a run that has
 * not started yet); the last error is kept for the timeout's message.
 */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  let lastError: Error | undefined;
  const probe = () => check().catch((err: Error) => ((lastError = err), false));
  await waitUntil(what, probe, { timeoutMs, intervalMs: 200 }).catch((err: Error) => {
    throw new Error(`${err.message}${lastError ? ` (last check failed: ${lastError.message})` : ''}`);
  });
}

/** A stream worker process from the compiled tree this file runs from; the config file is all it reads. */
function spawnWorker(configFile: string): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', K2_CONFIG_FILE: configFile };
  // A setting in the environment would win over the file.
  for (const name of settingNames) delete env[envName(name)];
  return spawn(process.execPath, [join(__dirname, '..', 'workers', 'stream-worker.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  return exited;
}

async function followRuns(client: Client, workflowId: string, firstRunId: string): Promise<Run[]> {
  const runs: Run[] = [];
  for (let runId: string | null | undefined = firstRunId; runId; ) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const json = temporal.api.history.v1.History.toObject(history as temporal.api.history.v1.History, { longs: String, enums: String, bytes: String });
    runs.push({ runId, history: json as Run['history'] });
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}

async function record(s: Scenario, client: Client, tag: string, commit: string): Promise<HistoryFixture> {
  const sim = await startSimulator({ symbols: SYMBOLS.map((symbol) => ({ symbol, rate: 20 })) });
  const topic = `record.trades-${s.name}-${tag}`;
  const heartbeatS = (s.session?.heartbeatTimeoutMs ?? 5_000) / 1000;
  const config: Config = loadConfig(process.env, {
    binance_ws_urls: [sim.urls.ws],
    binance_rest_urls: [sim.urls.rest],
    kafka_topic: topic,
    kafka_dlq_topic: `${topic}.dlq`,
    kafka_partitions: 3,
    task_queue: `record-${s.name}-${tag}`,
    heartbeat_timeout_seconds: heartbeatS,
    health_check_timeout: 3,
    ping_interval_seconds: 2,
    ping_timeout_seconds: 2,
    reconnect_backoff_initial_ms: 200,
    reconnect_backoff_max_ms: 2_000,
    // Frequent reports put progress signals in every run, as a long production run has them.
    status_report_interval_seconds: 1,
    metrics_port: 0,
    temporal_metrics_port: 0,
  });
  const scratch = mkdtempSync(join(tmpdir(), 'k2-record-'));
  const configFile = join(scratch, 'config.json');
  // Secrets stay out of the file: the children read them from the environment they inherit.
  writeFileSync(configFile, JSON.stringify(Object.fromEntries(Object.entries(config).filter(([, v]) => !(v instanceof Secret)))));
  const children = Array.from({ length: s.childWorkers ?? 0 }, () => spawnWorker(configFile));
  let worker: StreamWorker | undefined;
  let running: Promise<void> | undefined;
  const workflowId = `history-${s.name}-${tag}`;
  const handle = client.workflow.getHandle<typeof streamSession>(workflowId);
  try {
    if (!children.length) {
      worker = await createStreamWorker({ config });
      running = worker.worker.run();
    }
    const first = await client.workflow.start<typeof streamSession>('streamSession', {
      taskQueue: config.task_queue,
      workflowId,
      args: [{ symbols: SYMBOLS, heartbeatTimeoutMs: heartbeatS * 1000, ...s.session }],
    });
    const r: Recording = {
      handle,
      status: () => handle.query(statusQuery),
      waitFor: (what, check, timeoutMs) => waitFor(`${s.name}: ${what}`, check, timeoutMs),
      streaming: (since = 0) =>
        r.waitFor(
          since ? 'trades after the last step' : 'every symbol streaming',
          async () => Object.values((await r.status()).perSymbol).every((p) => Date.parse(p.lastTradeTime ?? '') > since),
          // Child workers bundle the workflow code first.
          120_000,
        ),
      async activity() {
        const pending = (await handle.describe()).raw.pendingActivities?.[0];
        // Worker identities are `<pid>@<host>`.
        const pid = Number(pending?.lastWorkerIdentity?.split('@')[0]);
        return { pid: Number.isInteger(pid) && pid > 0 ? pid : undefined, attempt: pending?.attempt ?? undefined };
      },
      async killActivityWorker() {
        const { pid } = await r.activity();
        const victim = children.find((c) => c.pid === pid);
        if (!victim) throw new Error(`${s.name}: the activity runs on pid ${pid}, not on one of this recording's workers`);
        await stopChild(victim, 'SIGKILL');
        log.info({ event: 'record.killed', scenario: s.name, pid });
        return pid!;
      },
    };
    await s.drive(r);
    await waitFor(`${s.name}: the session completed`, async () => (await handle.describe()).status.name === 'COMPLETED');
    const runs = await followRuns(client, workflowId, first.firstExecutionRunId);
    if (lastKind(runs.at(-1)!) !== 'workflowExecutionCompleted' || !s.check(runs)) {
      const shape = runs.map((run) => `${kinds(run).length} events, signals [${signals(run)}], ends ${lastKind(run)}`);
      throw new Error(`${s.name}: the recorded runs do not show "${s.covers}": ${shape.join('; ')}`);
    }
    return { scenario: s.name, covers: s.covers, workflowId, recordedAt: new Date().toISOString(), commit, runs };
  } finally {
    await handle.terminate('recording over').catch(() => undefined);
    worker?.shutdown();
    await running?.catch((err: Error) => log.warn({ event: 'record.worker-failed', err: err.message }));
    await worker?.close();
    await Promise.all(children.map((c) => stopChild(c, 'SIGTERM')));
    await sim.stop();
    await deleteTopics(config, [topic, `${topic}.dlq`]);
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function deleteTopics(config: Config, topics: string[]): Promise<void> {
  const admin = createKafka(config, { clientId: 'k2-record-histories', quiet: true }).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const ours = topics.filter((t) => existing.has(t));
    if (ours.length) await admin.deleteTopics({ topics: ours });
  } catch (err) {
    log.warn({ event: 'record.topic-cleanup-failed', topics, err: (err as Error).message });
  } finally {
    await admin.disconnect();
  }
}

function currentCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Records the named scenarios (all without names) and writes one fixture file each. */
export async function recordHistories(names: string[]): Promise<void> {
  const unknown = names.filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
  const chosen = names.length ? scenarios.filter((s) => names.includes(s.name)) : scenarios;
  installTemporalRuntime();
  const config = loadConfig();
  const connection = await connectTemporal(config);
  const client = new Client({ connection, namespace: config.temporal_namespace });
  const tag = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const commit = currentCommit();
  mkdirSync(fixturesDir, { recursive: true });
  const rows: string[] = [];
  try {
    for (const s of chosen) {
      log.info({ event: 'record.scenario', scenario: s.name });
      const fixture = await record(s, client, tag, commit);
      // Dated, so a new recording joins the old ones: runs of the old code may still be in flight.
      const file = join(fixturesDir, `${s.name}-${fixture.recordedAt.slice(0, 10)}.json`);
      writeFileSync(file, `${JSON.stringify(fixture, null, 2)}\n`);
      const events = fixture.runs.map((run) => run.history.events.length);
      rows.push(`${relative(projectRoot, file)}  runs ${fixture.runs.length}  events ${events.join('+')}`);
    }
  } finally {
    await connection.close();
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

if (require.main === module) {
  recordHistories(process.argv.slice(2)).then(
    // The in-process workers' native runtime would keep the process alive.
    () => process.exit(0),
    (err: Error) => {
      log.error({ event: 'record.failed', err: err.message });
      process.exit(1);
    },
  );
}
