import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Client } from '@temporalio/client';
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
import { SessionStatus, statusQuery } from '../workflows/stream-session-api';
import { fleetScenarios } from './histories/fleet-scenarios';
import { completes, HistoryFixture, kinds, lastKind, Recording, Run, Scenario, signals, SYMBOLS, waitFor } from './histories/scenario';
import { sessionScenarios } from './histories/session-scenarios';

export type { HistoryFixture } from './histories/scenario';

// Records real workflow histories for the determinism guard (test/unit/workflows/replay.test.ts):
// one scenario per fixture (./histories/), each against the simulator, the local Temporal server
// and Kafka, with real workers. Run it compiled (`npm run record:histories [scenario…]`): the kill
// scenarios SIGKILL worker processes started from the same compiled tree as this file.

const log = createLogger('record-histories');

const fixturesDir = join(projectRoot, 'test', 'fixtures', 'histories');

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

/** The child workflows a run started, with their first runs: a fleet's sessions. */
function startedChildren(runs: Run[]): { workflowId: string; runId: string }[] {
  return runs.flatMap((run) =>
    run.history.events.flatMap((e) => {
      const started = e.childWorkflowExecutionStartedEventAttributes as { workflowExecution?: { workflowId?: string; runId?: string } } | undefined;
      const { workflowId, runId } = started?.workflowExecution ?? {};
      return workflowId && runId ? [{ workflowId, runId }] : [];
    }),
  );
}

const completed = async (client: Client, workflowId: string) => (await client.workflow.getHandle(workflowId).describe()).status.name === 'COMPLETED';

/** A streamSession of SYMBOLS with the scenario's input. */
async function startSession(s: Scenario, client: Client, config: Config, workflowId: string): Promise<string> {
  const handle = await client.workflow.start<typeof streamSession>('streamSession', {
    taskQueue: config.task_queue,
    workflowId,
    args: [{ symbols: SYMBOLS, heartbeatTimeoutMs: config.heartbeat_timeout_seconds * 1000, ...s.session }],
  });
  return handle.firstExecutionRunId;
}

async function record(s: Scenario, client: Client, tag: string, commit: string): Promise<HistoryFixture> {
  const sim = await startSimulator({ symbols: SYMBOLS.map((symbol) => ({ symbol, rate: 20 })), ...s.simulator });
  const topic = `record.trades-${s.name}-${tag}`;
  const heartbeatS = (s.session?.heartbeatTimeoutMs ?? 5_000) / 1000;
  const config: Config = loadConfig(process.env, {
    binance_ws_urls: [sim.urls.ws],
    binance_rest_urls: [sim.urls.rest],
    kafka_topic: topic,
    kafka_dlq_topic: `${topic}.dlq`,
    kafka_partitions: 3,
    task_queue: `record-${s.name}-${tag}`,
    // A Worker Deployment of its own: the recording's workers never become the shared one's current version.
    deployment_name: `record-${s.name}-${tag}`,
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
    ...s.settings,
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
  let firstRunId: string | undefined;
  let childWorkflows: { workflowId: string; runId: string }[] | undefined;
  try {
    if (!children.length) {
      worker = await createStreamWorker({ config });
      running = worker.worker.run();
    }
    firstRunId = await (s.start ?? ((...a) => startSession(s, ...a)))(client, config, workflowId);
    const status = (id = workflowId): Promise<SessionStatus> => client.workflow.getHandle(id).query(statusQuery);
    const r: Recording = {
      client,
      sim,
      workflowId,
      handle,
      status,
      waitFor: (what, check, timeoutMs) => waitFor(`${s.name}: ${what}`, check, timeoutMs),
      streaming: (since = 0, id = workflowId) =>
        r.waitFor(
          since ? 'trades after the last step' : 'every symbol streaming',
          async () => Object.values((await status(id)).perSymbol).every((p) => Date.parse(p.lastTradeTime ?? '') > since),
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
    await waitFor(`${s.name}: the workflow completed`, () => completed(client, workflowId));
    const runs = await followRuns(client, workflowId, firstRunId);
    childWorkflows = startedChildren(runs);
    const recordedChildren: NonNullable<HistoryFixture['children']> = [];
    for (const child of childWorkflows) {
      await waitFor(`${s.name}: ${child.workflowId} completed`, () => completed(client, child.workflowId));
      recordedChildren.push({ workflowId: child.workflowId, runs: await followRuns(client, child.workflowId, child.runId) });
    }
    const all = [runs, ...recordedChildren.map((c) => c.runs)];
    if (!all.every((chain) => completes(chain.at(-1))) || !s.check(runs, recordedChildren)) {
      const shape = (chain: Run[]) => chain.map((run) => `${kinds(run).length} events, signals [${signals(run)}], ends ${lastKind(run)}`).join('; ');
      throw new Error(`${s.name}: the recorded runs do not show "${s.covers}": ${all.map(shape).join(' | ')}`);
    }
    return {
      scenario: s.name,
      covers: s.covers,
      workflowId,
      recordedAt: new Date().toISOString(),
      commit,
      runs,
      ...(recordedChildren.length ? { children: recordedChildren } : {}),
    };
  } finally {
    // A recording that failed half-way leaves no session of its fleet running.
    if (firstRunId) childWorkflows ??= await followRuns(client, workflowId, firstRunId).then(startedChildren, () => []);
    for (const id of [workflowId, ...(childWorkflows ?? []).map((c) => c.workflowId)]) await client.workflow.getHandle(id).terminate('recording over').catch(() => undefined);
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

/** `<scenario>-<date>.json`, or with `-2`, `-3` … when a recording of the same day exists: a fixture is never overwritten. */
function fixtureFile(scenario: string, date: string): string {
  for (let n = 1; ; n++) {
    const file = join(fixturesDir, `${scenario}-${date}${n > 1 ? `-${n}` : ''}.json`);
    if (!existsSync(file)) return file;
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
  const scenarios = [...sessionScenarios, ...fleetScenarios];
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
      const file = fixtureFile(s.name, fixture.recordedAt.slice(0, 10));
      writeFileSync(file, `${JSON.stringify(fixture, null, 2)}\n`);
      const events = fixture.runs.map((run) => run.history.events.length);
      const sessions = fixture.children?.length ? `  children ${fixture.children.length} (runs ${fixture.children.map((c) => c.runs.length).join('+')})` : '';
      rows.push(`${relative(projectRoot, file)}  runs ${fixture.runs.length}  events ${events.join('+')}${sessions}`);
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
