import { ChildProcess, spawn } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { startSimulatorProcess } from '../cli/simulator-process';
import { configEnv } from '../lib/config-env';
import { loadConfig } from '../lib/config';
import { streamWorkerCommand } from '../workers/worker-launch';
import { installTemporalRuntime } from '../workers/temporal-runtime';
import { streamFleet } from '../workflows';
import { fleetStatusQuery, stopFleetSignal } from '../workflows/stream-fleet-api';
import { SessionStatus } from '../workflows/stream-session-api';
import { writeBenchReport } from './report';
import { intervalFigures, sampleWorker, WorkerSample } from './worker-sample';

// The whole market on 2 worker processes: the simulator's binance universe (~1,500 symbols)
// streamed by a fleet (shards of 200), first at its realistic rate, then at a 10x burst
// (the simulator's acceleration). Per worker: trades acked/s, CPU per trade (the worker
// process's own CPU time), RSS, p50/p99 frame → Kafka ack. Needs local Temporal and Kafka;
// the simulator and the workers are processes of their own.

const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const WARMUP_SECONDS = 10;
const PHASES = [
  { name: 'realistic', acceleration: 1 },
  { name: '10x burst', acceleration: 10 },
].slice(0, Number(process.env.BENCH_PHASES ?? 2));
const METRICS_PORT_BASE = 19_610;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => process.stderr.write(`[bench:fleet ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    if (i % 5 === 4) say(`waiting for ${what} (${Math.round((deadline - Date.now()) / 1000)} s left)`);
    await sleep(1_000);
  }
}

async function main(): Promise<void> {
  installTemporalRuntime();
  const sim = await startSimulatorProcess(['--universe', 'binance', '--port', '0', '--control-port', '0', '--first-ids', 'hash', '--retention', '20000', '--rest-weight-limit', '60000']);
  const id = `bench-fleet-${Date.now().toString(36)}`;
  const config = loadConfig(process.env, {
    binance_ws_urls: [sim.urls.ws],
    binance_rest_urls: [sim.urls.rest],
    kafka_topic: `bench.fleet.${id}`,
    kafka_dlq_topic: `bench.fleet.${id}.dlq`,
    task_queue: `${id}-queue`,
    deployment_name: `${id}-deployment`,
    status_report_interval_seconds: 5,
  });
  const workers: ChildProcess[] = [];
  const metricsUrls: string[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const port = METRICS_PORT_BASE + i;
    const cmd = streamWorkerCommand(config, configEnv(config, { METRICS_PORT: String(port), TEMPORAL_METRICS_PORT: '0', LOG_LEVEL: 'warn' }));
    // BENCH_WORKER_NODE_FLAGS: e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (not allowed in NODE_OPTIONS), to see where a worker's CPU goes.
    const flags = (process.env.BENCH_WORKER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    workers.push(spawn(cmd.command, [...flags, ...cmd.args], { env: cmd.env, stdio: ['ignore', 'ignore', 'inherit'] }));
    metricsUrls.push(`http://127.0.0.1:${port}/metrics`);
  }
  const connection = await Connection.connect({ address: config.temporal_address });
  const client = new Client({ connection, namespace: config.temporal_namespace });
  const fleet = await client.workflow.start(streamFleet, {
    taskQueue: config.task_queue,
    workflowId: id,
    args: [{ universe: {}, shardSize: 200, sessionIdPrefix: `${id}-s`, heartbeatTimeoutMs: config.heartbeat_timeout_seconds * 1000, startSpacingMs: 500, searchAttributes: false }],
  });
  try {
    let sessions: string[] = [];
    await until('every session streaming', 240_000, async () => {
      const status = await fleet.query(fleetStatusQuery);
      sessions = status.shards.filter((s) => s.started).map((s) => s.workflowId);
      if (!sessions.length || sessions.length < status.shards.length) return false;
      const states = await Promise.all(sessions.map((w) => client.workflow.getHandle(w).query<SessionStatus>('status')));
      return states.every((s) => s.state === 'streaming' && s.firstTradeAt !== undefined);
    });
    const status = await fleet.query(fleetStatusQuery);
    say(`${status.symbols} symbols in ${sessions.length} sessions on ${WORKERS} workers`);

    const results = [];
    const series: { name: string; points: [number, number][] }[] = [];
    let t0 = 0;
    for (const phase of PHASES) {
      await fetch(`${sim.urls.control}/market/acceleration`, { method: 'POST', body: JSON.stringify({ factor: phase.acceleration }) });
      say(`${phase.name}: warming up ${WARMUP_SECONDS} s`);
      await sleep(WARMUP_SECONDS * 1000);
      const first = await Promise.all(metricsUrls.map(sampleWorker));
      let previous = first;
      const points: [number, number][] = [];
      const peakRss = first.map((s) => s?.rssBytes ?? 0);
      for (let t = 1; t <= SECONDS; t++) {
        await sleep(1_000);
        const now = await Promise.all(metricsUrls.map(sampleWorker));
        const acked = now.reduce((sum, s, i) => sum + (s && previous[i] ? s.acked - previous[i]!.acked : 0), 0);
        now.forEach((s, i) => (peakRss[i] = Math.max(peakRss[i], s?.rssBytes ?? 0)));
        points.push([t0 + t, acked]);
        if (t % 5 === 0) say(`${phase.name}: ${t}/${SECONDS} s, ${acked.toLocaleString('en-US')} trades acked/s`);
        previous = now;
      }
      t0 += SECONDS;
      series.push({ name: phase.name, points });
      const perWorker = previous.map((last, i) => {
        const from = first[i] as WorkerSample | undefined;
        return from && last ? { worker: i + 1, ...intervalFigures(from, last), peakRssMb: Math.round(peakRss[i] / 1048576) } : { worker: i + 1, unreachable: true };
      });
      const total = points.reduce((s, p) => s + p[1], 0) / points.length;
      results.push({ phase: phase.name, acceleration: phase.acceleration, ackedPerSecond: Math.round(total), perWorker });
    }
    writeBenchReport(process.env.BENCH_NAME ?? 'fleet-throughput', { symbols: status.symbols, sessions: sessions.length, workers: WORKERS, secondsPerPhase: SECONDS, results }, {
      title: `Fleet: ${status.symbols} symbols, ${sessions.length} sessions on ${WORKERS} workers — trades acknowledged by Kafka per second`,
      xLabel: 'seconds',
      yLabel: 'trades per second',
      series,
    });
    console.log('phase       acked/s  worker  acked/s  CPU/trade  cores   p50 ms  p99 ms  peak RSS');
    for (const r of results) {
      for (const w of r.perWorker) {
        if ('unreachable' in w) continue;
        console.log(
          `${r.phase.padEnd(10)}  ${String(r.ackedPerSecond).padStart(7)}  ${String(w.worker).padStart(6)}  ${String(w.ackedPerSecond).padStart(7)}  ${w.cpuUsPerTrade.toFixed(1).padStart(6)} µs  ${w.cpuCores.toFixed(2).padStart(5)}  ${String(w.p50Ms).padStart(6)}  ${String(w.p99Ms).padStart(6)}  ${w.peakRssMb} MB`,
        );
      }
    }
  } finally {
    await fleet.signal(stopFleetSignal).catch(() => undefined);
    await Promise.race([fleet.result().catch(() => undefined), sleep(30_000)]);
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
    await connection.close();
    await sim.stop();
  }
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(`bench:fleet failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
