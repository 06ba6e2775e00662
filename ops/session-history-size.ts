import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { configEnv } from '../lib/config-env';
import { Config, loadConfig } from '../lib/config';
import { createKafka } from '../lib/kafka/client';
import { createLogger } from '../lib/logger';
import { connectTemporal } from '../lib/temporal/connection';
import { binanceMix } from '../simulator/profiles';
import { startSimulator } from '../simulator/simulator';
import { binanceUniverse } from '../simulator/universe';
import type { streamSession } from '../workflows/stream-session';
import { stopSignal } from '../workflows/stream-session-api';
import { waitUntil } from './infra/readiness';

// How big a stream session's history grows: a session of N simulator symbols (the binance mix)
// on one real worker process, the local Temporal server and Kafka, over a fixed span. Prints, per
// run and in total, the events and bytes of its history and what its progress signals take of
// them. `--worker-dist` runs the worker of another compiled tree (a build of an older commit),
// so two versions can be measured over the same span:
//   node dist/ops/session-history-size.js --symbols 200 --span 360 --report-interval 1 [--worker-dist DIR]

const log = createLogger('history-size');
const encode = (h: temporal.api.history.v1.IHistory) => temporal.api.history.v1.History.encode(h).finish().length;
const eventBytes = (e: temporal.api.history.v1.IHistoryEvent) => temporal.api.history.v1.HistoryEvent.encode(e).finish().length;

interface RunSize {
  runId: string;
  events: number;
  bytes: number;
  progressSignals: number;
  progressBytes: number;
  progressBytesMax: number;
  /** From the run's first event to its last. */
  seconds: number;
  endedBy: 'continued-as-new' | 'completed' | 'running';
}

async function runSizes(client: Client, workflowId: string, firstRunId: string): Promise<RunSize[]> {
  const runs: RunSize[] = [];
  for (let runId: string | null | undefined = firstRunId; runId; ) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    const progress: number[] = events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'progress').map(eventBytes);
    const last: temporal.api.history.v1.IHistoryEvent | undefined = events.at(-1);
    const time = (e: temporal.api.history.v1.IHistoryEvent | undefined) => Number(e?.eventTime?.seconds ?? 0) + (e?.eventTime?.nanos ?? 0) / 1e9;
    runs.push({
      runId,
      events: events.length,
      bytes: encode(history),
      progressSignals: progress.length,
      progressBytes: progress.reduce((a, b) => a + b, 0),
      progressBytesMax: Math.max(0, ...progress),
      seconds: Math.round(time(last) - time(events[0])),
      endedBy: last?.workflowExecutionContinuedAsNewEventAttributes ? 'continued-as-new' : last?.workflowExecutionCompletedEventAttributes ? 'completed' : 'running',
    });
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}

async function deleteTopics(config: Config, topics: string[]): Promise<void> {
  const admin = createKafka(config, { clientId: 'k2-history-size', quiet: true }).admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics });
  } catch (err) {
    log.warn({ event: 'history-size.topic-cleanup-failed', topics, err: (err as Error).message });
  } finally {
    await admin.disconnect();
  }
}

export async function measureSessionHistory(o: { symbols: number; spanS: number; reportS: number; rate: number; workerDist: string }) {
  const symbols = binanceUniverse(o.symbols);
  const sim = await startSimulator({ symbols: binanceMix(symbols, o.rate), history: true });
  const tag = `${Date.now().toString(36)}-${process.pid}`;
  const topic = `history-size.trades-${tag}`;
  const config = loadConfig(process.env, {
    binance_ws_urls: [sim.urls.ws],
    binance_rest_urls: [sim.urls.rest],
    kafka_topic: topic,
    kafka_dlq_topic: `${topic}.dlq`,
    kafka_partitions: 3,
    task_queue: `history-size-${tag}`,
    deployment_name: `history-size-${tag}`,
    status_report_interval_seconds: o.reportS,
    metrics_port: 0,
    temporal_metrics_port: 0,
  });
  const worker = spawn(process.execPath, [join(o.workerDist, 'workers', 'stream-worker.js')], {
    env: configEnv(config, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const connection = await connectTemporal(config);
  const client = new Client({ connection, namespace: config.temporal_namespace });
  const workflowId = `history-size-${tag}`;
  const handle = client.workflow.getHandle<typeof streamSession>(workflowId);
  try {
    const first = await client.workflow.start<typeof streamSession>('streamSession', {
      taskQueue: config.task_queue,
      workflowId,
      args: [{ symbols, heartbeatTimeoutMs: config.heartbeat_timeout_seconds * 1000, searchAttributes: false }],
    });
    // The span starts when the session streams (the worker bundles its workflows first).
    await waitUntil('the session streaming', async () => (await handle.query<{ firstTradeAt?: string }>('status').catch(() => undefined))?.firstTradeAt !== undefined, {
      timeoutMs: 180_000,
      intervalMs: 1_000,
    });
    const startedAt = Date.now();
    await new Promise((r) => setTimeout(r, o.spanS * 1000));
    const described = await handle.describe();
    const runs = await runSizes(client, workflowId, first.firstExecutionRunId);
    const sum = (k: keyof RunSize) => runs.reduce((n, r) => n + (r[k] as number), 0);
    const result = {
      symbols: o.symbols,
      spanSeconds: Math.round((Date.now() - startedAt) / 1000),
      reportIntervalSeconds: o.reportS,
      workerDist: o.workerDist,
      runs,
      total: { events: sum('events'), bytes: sum('bytes'), progressSignals: sum('progressSignals'), progressBytes: sum('progressBytes') },
      bytesPerProgressSignal: Math.round(sum('progressBytes') / Math.max(1, sum('progressSignals'))),
      // What the server counts towards its continue-as-new suggestion (the current run only).
      server: { historyLength: Number(described.raw.workflowExecutionInfo?.historyLength ?? 0), historySizeBytes: Number(described.raw.workflowExecutionInfo?.historySizeBytes ?? 0) },
    };
    await handle.signal(stopSignal);
    await waitUntil('the session stopped', async () => (await handle.describe()).status.name === 'COMPLETED', { timeoutMs: 120_000, intervalMs: 1_000 }).catch(() => undefined);
    return result;
  } finally {
    await handle.terminate('measured').catch(() => undefined);
    worker.kill('SIGTERM');
    await new Promise((r) => (worker.exitCode === null ? worker.once('exit', r) : r(undefined)));
    await connection.close();
    await sim.stop();
    await deleteTopics(config, [topic, `${topic}.dlq`]);
  }
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      symbols: { type: 'string', default: '200' },
      span: { type: 'string', default: '300' },
      'report-interval': { type: 'string', default: '30' },
      // Trades/s of the whole session (the binance mix skews them over the symbols).
      rate: { type: 'string', default: '100' },
      'worker-dist': { type: 'string', default: resolve(__dirname, '..') },
    },
  });
  measureSessionHistory({
    symbols: Number(values.symbols),
    spanS: Number(values.span),
    reportS: Number(values['report-interval']),
    rate: Number(values.rate),
    workerDist: resolve(values['worker-dist']!),
  }).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.exit(0);
    },
    (err: Error) => {
      log.error({ event: 'history-size.failed', err: err.message });
      process.exit(1);
    },
  );
}
