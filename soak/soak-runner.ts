import { join } from 'node:path';
import { isExplicitlySet, loadConfig } from '../lib/config';
import { parseTradeV2Schema } from '../lib/avro/trade-v2-schema';
import { tradeKeyDecoder } from '../lib/avro/serializer';
import { createKafka } from '../lib/kafka/client';
import { createLogger } from '../lib/logger';
import { kafkaDefaults, startKafka } from '../ops/infra/kafka';
import { readRecord, stopRecorded } from '../ops/infra/process-control';
import { freePort } from '../ops/infra/readiness';
import { stopSignal } from '../workflows/stream-session-api';
import { localInfra, stopInfra } from '../cli/commands/start';
import { startSession } from '../cli/session';
import { startSimulatorProcess } from '../cli/simulator-process';
import { WorkerSupervisor, workerEnv } from '../cli/worker-supervisor';
import { startAlertWatch } from './alert-watch';
import { ChaosEvent, ChaosKind, chaosSchedule } from './chaos';
import { formatDuration } from '../lib/duration';
import { checkGroundTruth } from './ground-truth';
import { SampleSeries, SoakSample } from './soak-samples';
import { writeSoakReport } from './soak-report';
import { memoryFit, verdict } from './soak-verdict';
import { workerProcessTree } from '../lib/process-tree';
import { scrapeWorker } from '../lib/prometheus/worker-scrape';

const log = createLogger('soak');

export type SoakProfile = 'steady' | 'bursty' | 'quiet' | 'binance';

export interface SoakOptions {
  /** Length of the simulated run (24 h by default). */
  durationMs: number;
  symbols: string[];
  /** Trades per simulated second over all symbols. */
  rate: number;
  profile: SoakProfile;
  /** Connection lifetime of the session (connection_max_lifetime_hours). */
  rotateEveryMs: number;
  /** Time runs this many times faster: rates ×N, lifetimes, the 24 h cut and pings ÷N. */
  accelerate: number;
  chaos: boolean;
  chaosEveryMs: number;
  seed: number;
  outDir: string;
  sampleEveryMs: number;
  reportEveryMs: number;
  maxRssMb: number;
  maxGrowthMb: number;
  maxLeakScore: number;
  keepTopic: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (v: number | null) => (v === null ? '-' : `${Math.round(v)} MB`);

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status} ${await res.text()}`);
}

/**
 * One soak: the local (or configured) Temporal and Kafka, the simulator in its own process, one
 * supervised worker process, a session on names of its own, a real Prometheus evaluating the
 * project's alert rules, samples every `sampleEveryMs`, optional seeded chaos; at the end the
 * topic against the simulator's ground truth, and a verdict. Returns whether every bar held.
 */
export async function runSoak(o: SoakOptions): Promise<{ pass: boolean; files: string[] }> {
  const base = loadConfig();
  const wallMs = o.durationMs / o.accelerate;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-').toLowerCase();
  const names = { workflow_id: `soak-${stamp}`, task_queue: `soak-${stamp}`, deployment_name: `soak-${stamp}`, kafka_topic: `soak.${stamp}.trades`, kafka_dlq_topic: `soak.${stamp}.trades.dlq` };
  const say = (line: string) => process.stdout.write(`[soak] ${line}\n`);
  say(`${formatDuration(o.durationMs)} simulated in ${formatDuration(wallMs)} (×${o.accelerate}), ${o.symbols.length} symbols, ${o.rate} trades/s (${o.profile}), session ${names.workflow_id}, topic ${names.kafka_topic}`);

  const started = await localInfra();
  const cleanups: (() => Promise<unknown>)[] = [() => stopInfra(started)];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((err: Error) => log.warn({ event: 'soak.cleanup-failed', err: err.message }));
  };
  try {
    const sim = await startSimulatorProcess([
      '--port', '0', '--control-port', '0',
      '--symbols', o.symbols.join(','),
      '--profile', o.profile,
      '--rate', String(o.profile === 'binance' ? o.rate : o.rate / o.symbols.length),
      '--acceleration', String(o.accelerate),
      '--seed', String(o.seed),
      '--max-lifetime', String(Math.max(1, Math.round(86_400 / o.accelerate))),
    ]);
    cleanups.push(() => sim.stop());

    const metricsPort = await freePort();
    const pingInterval = Math.max(1, base.ping_interval_seconds / o.accelerate);
    const config = loadConfig(process.env, {
      ...names,
      symbols: o.symbols,
      binance_ws_urls: [sim.urls.ws],
      binance_rest_urls: [sim.urls.rest],
      metrics_port: metricsPort,
      temporal_metrics_port: 0,
      ping_interval_seconds: pingInterval,
      ping_timeout_seconds: Math.min(base.ping_timeout_seconds, pingInterval),
      connection_max_lifetime_hours: o.rotateEveryMs / o.accelerate / 3_600_000,
    });
    const watch = await startAlertWatch({
      workerTarget: `127.0.0.1:${metricsPort}`,
      dir: join(o.outDir, '.prometheus'),
      intervalSeconds: Math.max(1, Math.min(15, Math.round(o.sampleEveryMs / 1000))),
    });
    cleanups.push(() => watch.stop());
    const workers = new WorkerSupervisor(workerEnv(config, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }), { say });
    workers.start();
    cleanups.push(() => workers.stop());
    const { session } = await startSession(config, { symbols: o.symbols, workflowId: config.workflow_id, maxLifetimeMs: o.rotateEveryMs / o.accelerate });
    cleanups.push(() => session.close());

    const startedAt = Date.now();
    const series = new SampleSeries(o.accelerate);
    const chaosLog: (ChaosEvent & { at: string; outcome: string })[] = [];
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const sample = async (): Promise<SoakSample> => {
      const pid = workers.pid;
      const proc = pid === undefined ? undefined : workerProcessTree(pid);
      return series.add((Date.now() - startedAt) / 1000, proc, await scrapeWorker(metricsUrl));
    };
    const summaryOf = () => ({
      options: { ...o, symbols: o.symbols.length <= 20 ? o.symbols : `${o.symbols.length} symbols` },
      names,
      startedAt: new Date(startedAt).toISOString(),
      wallSeconds: (Date.now() - startedAt) / 1000,
      simulatedSeconds: ((Date.now() - startedAt) / 1000) * o.accelerate,
      workerRestarts: workers.restarts,
      chaos: chaosLog,
      memory: memoryFit(series.samples, { accelerate: o.accelerate }),
      samples: series.samples,
    });

    // Chaos at seeded moments; each event logged with what it did.
    const chaosTimers = !o.chaos
      ? []
      : chaosSchedule({ wallS: wallMs / 1000, everyS: o.chaosEveryMs / 1000, seed: o.seed }).map((event) =>
          setTimeout(() => {
            void injectChaos(event.kind, { control: sim.urls.control, workers, config }).then((outcome) => {
              chaosLog.push({ ...event, at: new Date().toISOString(), outcome });
              log.warn({ event: 'soak.chaos', kind: event.kind, atWallS: event.atWallS, outcome });
              say(`chaos: ${event.kind} (${outcome})`);
            });
          }, event.atWallS * 1000),
        );

    let interrupted = false;
    const interrupt = () => {
      interrupted = true;
      say('interrupted: finishing the soak now (drain, ground truth, report)');
    };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    let lastReport = Date.now();
    try {
      while (!interrupted && Date.now() - startedAt < wallMs) {
        await sleep(Math.min(o.sampleEveryMs, Math.max(0, wallMs - (Date.now() - startedAt))));
        const s = await sample();
        say(progressLine(s, o, wallMs));
        if (Date.now() - lastReport >= o.reportEveryMs) {
          lastReport = Date.now();
          writeSoakReport(o.outDir, { partial: true, ...summaryOf() });
        }
      }
    } finally {
      chaosTimers.forEach(clearTimeout);
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }

    // The end of the day: the market stops, the session drains, then the topic is checked.
    await post(`${sim.urls.control}/market/pause`, {});
    await sleep(1_000);
    await session.handle.signal(stopSignal);
    const final = await Promise.race([session.handle.result(), sleep(600_000).then(() => undefined)]);
    if (!final) say('the session did not stop within 10 minutes; checking the topic anyway');
    await sample();
    const endedAt = Date.now();
    const lastGenerated: Record<string, number> = {};
    for (const symbol of o.symbols) {
      const res = await fetch(`${sim.urls.control}/ground-truth?symbol=${symbol}`);
      if (res.ok) lastGenerated[symbol] = ((await res.json()) as { lastId: number }).lastId;
    }
    const kafka = createKafka(config, { clientId: `${config.kafka_client_id}-soak`, quiet: true });
    let lastLine = 0;
    const truthStarted = Date.now();
    const truth = await checkGroundTruth(kafka, config.kafka_topic, lastGenerated, tradeKeyDecoder(parseTradeV2Schema()), (read, total) => {
      if (Date.now() - lastLine < 5_000) return;
      lastLine = Date.now();
      const rate = read / ((Date.now() - truthStarted) / 1000);
      say(`ground truth: ${read.toLocaleString('en-US')}/${total.toLocaleString('en-US')} records read, ${Math.round(rate).toLocaleString('en-US')}/s, ETA ${formatDuration(((total - read) / Math.max(rate, 1)) * 1000)}`);
    });
    const alerts = await watch.fired(startedAt, endedAt).catch((err: Error) => {
      log.warn({ event: 'soak.alerts-unavailable', err: err.message });
      return undefined;
    });
    const summary = summaryOf();
    const last = series.samples.at(-1);
    const totals = last?.totals;
    const meanRate = totals && summary.simulatedSeconds > 0 ? totals.acked / summary.simulatedSeconds : 0;
    const result = verdict({
      memory: summary.memory,
      meanRate,
      truth,
      leakScore: [...series.samples].reverse().find((s) => s.leakScore !== null)?.leakScore ?? null,
      alerts,
      bars: { maxRssMb: o.maxRssMb, maxGrowthMb: o.maxGrowthMb, maxLeakScore: o.maxLeakScore },
    });
    const files = writeSoakReport(o.outDir, {
      partial: false,
      ...summary,
      endedAt: new Date(endedAt).toISOString(),
      sessionStopped: !!final,
      totals,
      meanRatePerSimulatedSecond: meanRate,
      groundTruth: truth,
      alerts,
      verdict: result,
    });
    if (!o.keepTopic) {
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [config.kafka_topic, config.kafka_dlq_topic] }).catch(() => undefined);
      await admin.disconnect();
    }
    say(`verdict: ${result.pass ? 'PASS' : 'FAIL'}`);
    for (const c of result.checks) say(`  ${c.pass ? 'ok  ' : 'FAIL'} ${c.source === 'plan' ? 'plan' : 'k2  '} ${c.name}: ${c.value} (bar ${c.bar})`);
    say(`report: ${files.join(', ')}`);
    return { pass: result.pass, files };
  } finally {
    await cleanup();
  }
}

function progressLine(s: SoakSample, o: SoakOptions, wallMs: number): string {
  const reconnects = Object.values(s.totals.reconnects).reduce((a, b) => a + b, 0);
  return [
    `${formatDuration(s.wallS * 1000)}/${formatDuration(wallMs)}`,
    o.accelerate !== 1 ? `(day ${formatDuration(s.dayS * 1000)})` : '',
    `RSS ${mb(s.rssMb)} heap ${mb(s.heapUsedMb)}/${mb(s.heapTotalMb)}`,
    `in ${Math.round(s.inPerSecond).toLocaleString('en-US')}/s acked ${Math.round(s.ackedPerSecond).toLocaleString('en-US')}/s`,
    `buffer ${s.bufferRecords ?? '-'} rotations ${s.totals.rotations} reconnects ${reconnects} pings ${s.totals.pings}`,
    `ETA ${formatDuration(wallMs - s.wallS * 1000)}`,
  ]
    .filter(Boolean)
    .join('  ');
}

async function injectChaos(
  kind: ChaosKind,
  c: { control: string; workers: WorkerSupervisor; config: ReturnType<typeof loadConfig> },
): Promise<string> {
  try {
    switch (kind) {
      case 'kill-worker':
        await c.workers.kill('SIGKILL');
        return 'worker SIGKILLed; the supervisor starts another';
      case 'no-pong':
        await post(`${c.control}/faults`, { type: 'no-pong', ms: (c.config.ping_interval_seconds + c.config.ping_timeout_seconds + 1) * 1000 });
        return 'pongs dropped for a ping interval';
      case 'server-shutdown':
        await post(`${c.control}/faults`, { type: 'server-shutdown', closeAfterMs: 1_000 });
        return 'serverShutdown sent';
      case 'stall':
        await post(`${c.control}/faults`, { type: 'stall', ms: (c.config.health_check_timeout + 5) * 1000 });
        return `stream stalled for ${c.config.health_check_timeout + 5} s`;
      case 'kafka-restart':
        if (isExplicitlySet('kafka_brokers') || !readRecord('kafka')) return 'skipped: Kafka is not managed by k2 here';
        await stopRecorded('kafka');
        await sleep(3_000);
        await startKafka(kafkaDefaults);
        return 'Kafka stopped for 3 s and restarted on its data';
    }
  } catch (err) {
    return `failed: ${(err as Error).message}`;
  }
}
