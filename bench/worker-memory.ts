import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@temporalio/client';
import { connectTemporal } from '../lib/temporal/connection';
import { Config, envName, loadConfig, SettingName } from '../lib/config';
import { createKafka } from '../lib/kafka/client';
import { cacheDir, projectRoot } from '../lib/paths';
import { setProducerQuota } from '../ops/infra/kafka-quota';
import { formatSeconds } from '../ops/infra/progress';
import { startSimulator } from '../simulator/simulator';
import { streamWorkerCommand, streamWorkerEntry } from '../workers/worker-launch';
import { streamSession } from '../workflows';
import { writeBenchReport } from './report';
import type { StageSample } from './worker-memory-stages';

// Where a stream worker's memory goes. Each run starts the built worker as a process of its own
// (as `k2 worker` and npm start run it), a simulator and, unless bare, a stream session; after a
// warm-up it samples the worker's RSS (/proc/<pid>/status, smaps_rollup), V8 heap, external and
// ArrayBuffer memory (its /metrics) and CPU time. Variants change one bound at a time to show
// what each costs. Needs local Temporal and Kafka.
//
//   BENCH_SCENARIOS=bare,3x1,100x4,10x500,10x2000,backfill (default: all)
//   BENCH_VARIANTS=default,unbounded,semi-16,... (default: default; every scenario-variant pair runs)
//   BENCH_SECONDS=60 (sampled)  BENCH_WARMUP_SECONDS=30  BENCH_STAGES=1 (the bare worker step by step)
//   BENCH_BACKFILL_TRADES=1000000  BENCH_TAG=before (prefix of this invocation's run ids; the
//   report keeps runs of other ids, so a build from before a change can be compared)

interface Scenario {
  label: string;
  symbols: number;
  ratePerSymbol: number;
  /**
   * A hole of this many trades behind the session's cursor, filled from REST while Kafka takes
   * at most `kafkaBytesPerSecond` (a producer quota): the sink stays full. Sampled from the
   * session's start until the hole is in Kafka, no warm-up.
   */
  backfill?: { trades: number; kafkaBytesPerSecond: number };
}

const BACKFILL_TRADES = Number(process.env.BENCH_BACKFILL_TRADES ?? 1_000_000);

const SCENARIOS: Record<string, Scenario> = {
  bare: { label: 'bare worker (no session)', symbols: 0, ratePerSymbol: 0 },
  '3x1': { label: '3 symbols, 3 trades/s', symbols: 3, ratePerSymbol: 1 },
  '100x4': { label: '100 symbols, 400 trades/s', symbols: 100, ratePerSymbol: 4 },
  '10x500': { label: '10 symbols, 5,000 trades/s', symbols: 10, ratePerSymbol: 500 },
  // Near what one worker sustains on 2 cores shared with the simulator and Kafka: throughput, not memory.
  '10x2000': { label: '10 symbols, 20,000 trades/s offered', symbols: 10, ratePerSymbol: 2_000 },
  // As test/integration/bounded-memory.test.ts: REST outruns a throttled Kafka.
  backfill: {
    label: `${BACKFILL_TRADES.toLocaleString('en-US')}-trade backfill, Kafka at 1 MB/s`,
    symbols: 1,
    ratePerSymbol: 50_000,
    backfill: { trades: BACKFILL_TRADES, kafkaBytesPerSecond: 1_000_000 },
  },
};

interface Variant {
  label: string;
  settings?: Partial<Record<SettingName, number>>;
  /** false: the worker starts as plain `node stream-worker.js`, without its node flags and environment. */
  bounded?: boolean;
  env?: Record<string, string>;
  /** The workflow bundle built beforehand (workflow_bundle_path), as the Docker image has it. */
  prebuiltBundle?: boolean;
}

// One knob off its bound at a time; "off" means the value V8, libuv or glibc would pick here.
const VARIANTS: Record<string, Variant> = {
  default: { label: 'configured bounds' },
  unbounded: { label: 'no process bounds (V8, libuv, glibc defaults)', bounded: false },
  'heap-4096': { label: 'worker_heap_mb 4096 (V8 default here)', settings: { worker_heap_mb: 4096 } },
  'semi-16': { label: 'worker_semi_space_mb 16 (V8 default)', settings: { worker_semi_space_mb: 16 } },
  'semi-8': { label: 'worker_semi_space_mb 8', settings: { worker_semi_space_mb: 8 } },
  'semi-2': { label: 'worker_semi_space_mb 2', settings: { worker_semi_space_mb: 2 } },
  'arenas-1': { label: 'malloc_arena_max 1', settings: { malloc_arena_max: 1 } },
  'arenas-16': { label: 'malloc_arena_max 16 (glibc default, 8 per core)', settings: { malloc_arena_max: 16 } },
  'uv-2': { label: 'UV_THREADPOOL_SIZE 2 (libuv default 4)', env: { UV_THREADPOOL_SIZE: '2' } },
  'wf-threads-2': { label: 'workflow_thread_pool_size 2', settings: { workflow_thread_pool_size: 2 } },
  'no-wf-thread': { label: 'workflows in the main isolate (TEMPORAL_DEBUG)', env: { TEMPORAL_DEBUG: '1' } },
  'prebuilt-bundle': { label: 'workflow bundle built beforehand (workflow_bundle_path)', prebuiltBundle: true },
  'buffer-200k': { label: 'buffer_max_records 200000', settings: { buffer_max_records: 200_000 } },
};

let prebuilt: string | undefined;

/** Built once per bench run, as the Dockerfile builds it. */
function prebuiltBundle(): string {
  if (!prebuilt) {
    prebuilt = join(cacheDir, 'bench-workflow-bundle.json');
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(prebuilt, execFileSync(process.execPath, [join(__dirname, '..', 'workers', 'workflow-bundle.js')], { maxBuffer: 64 * 1024 * 1024 }));
  }
  return prebuilt;
}

interface Sample {
  t: number;
  rssMb: number;
  anonMb: number;
  fileMb: number;
  pssAnonMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  threads: number;
  produced: number;
  cpuSeconds: number;
}

interface RunResult {
  id: string;
  scenario: string;
  variant: string;
  label: string;
  settings: Record<string, number>;
  nodeFlags: string[];
  rssMedianMb: number;
  rssMaxMb: number;
  anonMb: number;
  fileMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  threads: number;
  tradesPerSecond: number;
  cpuUsPerTrade: number | null;
  samples: Sample[];
}

const SAMPLE_MS = 2_000;
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** kB fields of a /proc file in "Name:   123 kB" form. */
function procFields(path: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync(path, 'utf8').matchAll(/^(\w+):\s+(\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

function cpuSeconds(pid: number): number {
  // utime and stime, after the parenthesised command name; in USER_HZ (100 on Linux).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^(\w+)(?:\{[^}]*\})? (\S+)/.exec(line);
    if (m) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[2]));
  }
  return out;
}

async function sample(pid: number, port: number, t: number): Promise<Sample> {
  const status = procFields(`/proc/${pid}/status`);
  const rollup = procFields(`/proc/${pid}/smaps_rollup`);
  const m = await scrape(port);
  return {
    t,
    rssMb: mb(status.VmRSS * 1024),
    anonMb: mb(status.RssAnon * 1024),
    fileMb: mb(status.RssFile * 1024),
    pssAnonMb: mb((rollup.Pss_Anon ?? 0) * 1024),
    heapUsedMb: mb(m.get('nodejs_heap_size_used_bytes') ?? 0),
    heapTotalMb: mb(m.get('nodejs_heap_size_total_bytes') ?? 0),
    externalMb: mb(m.get('nodejs_external_memory_bytes') ?? 0),
    arrayBuffersMb: mb(m.get('bench_array_buffers_bytes') ?? 0),
    threads: status.Threads,
    produced: m.get('k2_trades_produced_total') ?? 0,
    cpuSeconds: cpuSeconds(pid),
  };
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function settingsEnv(settings: Partial<Record<SettingName, unknown>>): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(settings)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [envName(k), Array.isArray(v) ? v.join(',') : String(v)]),
  );
}

/** A node process running `entry` the way `variant` starts the worker (its bounds or none). */
function spawnAs(variant: Variant, config: Config, entry: string, flags: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const cmd = streamWorkerCommand(config, { ...env, ...variant.env });
  const bounds = variant.bounded === false ? [] : cmd.args.slice(0, -1);
  return spawn(cmd.command, [...flags, ...bounds, entry], {
    env: variant.bounded === false ? { ...env, ...variant.env } : cmd.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function stopChild(child: ChildProcess, graceMs = 60_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

interface Plan {
  runs: { scenario: string; variant: string }[];
  seconds: number;
  warmup: number;
  tag: string;
}

async function run(client: Client, plan: Plan, index: number): Promise<RunResult> {
  const { scenario: sName, variant: vName } = plan.runs[index];
  const scenario = SCENARIOS[sName];
  const variant = VARIANTS[vName];
  const symbols = Array.from({ length: scenario.symbols }, (_, i) => `M${String(i).padStart(3, '0')}USDT`);
  const { backfill } = scenario;
  const sim = await startSimulator({
    symbols: symbols.length ? symbols.map((symbol) => ({ symbol, rate: scenario.ratePerSymbol })) : [{ symbol: 'M000USDT', rate: 1 }],
    ...(backfill ? { retention: backfill.trades + 100_000, rest: { weightPerMinute: 100_000_000, requestsAfter429BeforeBan: 5, banMs: 1_000 } } : {}),
  });
  const suffix = `${sName}-${vName}-${Date.now().toString(36)}`;
  const port = await freePort();
  const overrides: Partial<Record<SettingName, unknown>> = {
    binance_ws_urls: [sim.urls.ws],
    binance_rest_urls: [sim.urls.rest],
    kafka_topic: `bench.memory.${suffix}`,
    kafka_dlq_topic: `bench.memory.${suffix}.dlq`,
    task_queue: `bench-memory-${suffix}`,
    deployment_name: `bench-memory-${suffix}`,
    metrics_port: port,
    temporal_metrics_port: 0,
    ...(backfill
      ? {
          kafka_client_id: `bench-memory-${suffix}`,
          backfill_max_trades: backfill.trades * 2,
          // The simulator's REST allows far more than Binance, so REST outruns the throttled Kafka.
          rest_weight_budget_per_minute: 100_000_000,
          rest_weight_limit_per_minute: 100_000_000,
        }
      : {}),
    ...variant.settings,
    ...(variant.prebuiltBundle ? { workflow_bundle_path: prebuiltBundle() } : {}),
  };
  const config = loadConfig(process.env, overrides);
  let cursor: Record<string, number> | undefined;
  if (backfill) {
    await setProducerQuota(config.kafka_brokers, config.kafka_client_id, backfill.kafkaBytesPerSecond);
    process.stderr.write(`[${sName}] generating ${backfill.trades.toLocaleString('en-US')} trades\n`);
    await until('the hole generated', 300_000, async () => {
      const t = sim.groundTruth(symbols[0]);
      return !!t && t.lastId - t.firstId >= backfill.trades;
    });
    sim.pauseMarket();
    cursor = { [symbols[0]]: sim.groundTruth(symbols[0])!.firstId };
  }
  const probe = join(__dirname, 'worker-memory-probe.js');
  const worker = spawnAs(variant, config, streamWorkerEntry, ['--require', probe], { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...settingsEnv(overrides) });
  worker.stdout?.resume();
  const exited = new Promise<void>((_, reject) => worker.once('exit', (code, signal) => reject(new Error(`worker exited (${signal ?? code})`))));
  exited.catch(() => undefined);
  const pid = worker.pid!;
  const handle = scenario.symbols
    ? await client.workflow.start(streamSession, {
        taskQueue: config.task_queue,
        workflowId: `bench-memory-${suffix}`,
        args: [{ symbols, cursor, heartbeatTimeoutMs: config.heartbeat_timeout_seconds * 1000, searchAttributes: false }],
      })
    : undefined;
  const samples: Sample[] = [];
  // Nominal seconds per run: warm-up, sampling, and ~15 s to start and stop.
  const perRun = plan.warmup + plan.seconds + 15;
  const progress = (line: string, at = 0) => {
    const eta = formatSeconds((plan.runs.length - index) * perRun - at);
    process.stderr.write(`[${index + 1}/${plan.runs.length} ${sName} ${vName}] ${line}  ETA ${eta}\n`);
  };
  try {
    await Promise.race([
      exited,
      until('the worker to serve /metrics', 120_000, async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok),
    ]);
    if (handle && !backfill) {
      await Promise.race([exited, until('trades in Kafka', 120_000, async () => ((await scrape(port)).get('k2_trades_produced_total') ?? 0) > 0)]);
    }
    if (!backfill) {
      progress(`warming up ${plan.warmup} s`);
      await new Promise((r) => setTimeout(r, plan.warmup * 1000));
    }
    const from = Date.now();
    let lastLine = 0;
    const done = (s: Sample) => (backfill ? s.produced >= backfill.trades : s.t >= plan.seconds);
    for (;;) {
      const s = await Promise.race([exited.then(() => undefined as never), sample(pid, port, Math.round((Date.now() - from) / 1000))]);
      samples.push(s);
      if (done(s)) break;
      if (backfill && s.t > 900) throw new Error(`backfill not done after 900 s (${s.produced} trades)`);
      if (Date.now() - lastLine >= 10_000) {
        lastLine = Date.now();
        const first = samples[0];
        const rate = s.t > first.t ? Math.round((s.produced - first.produced) / (s.t - first.t)) : 0;
        const of = backfill ? `${s.produced.toLocaleString('en-US')}/${backfill.trades.toLocaleString('en-US')} trades` : `${s.t}/${plan.seconds} s`;
        progress(`${of}  RSS ${s.rssMb} MB (anon ${s.anonMb})  heap ${s.heapUsedMb}/${s.heapTotalMb} MB  ${rate} trades/s`, plan.warmup + s.t);
      }
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
  } finally {
    if (backfill) await setProducerQuota(config.kafka_brokers, config.kafka_client_id, undefined).catch(() => undefined);
    await handle?.terminate('bench over').catch(() => undefined);
    await stopChild(worker);
    await sim.stop();
    const admin = createKafka(config, { clientId: 'bench-memory', quiet: true }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [config.kafka_topic, config.kafka_dlq_topic] }).catch(() => undefined);
    await admin.disconnect();
  }
  const first = samples[0];
  const last = samples[samples.length - 1];
  const trades = last.produced - first.produced;
  const seconds = last.t - first.t;
  const pick = (k: keyof Sample) => median(samples.map((s) => s[k]));
  const cmd = streamWorkerCommand(config);
  return {
    id: `${plan.tag}${sName}/${vName}`,
    scenario: sName,
    variant: vName,
    label: `${plan.tag}${scenario.label} / ${variant.label}`,
    settings: Object.fromEntries(
      (['worker_heap_mb', 'worker_semi_space_mb', 'malloc_arena_max', 'workflow_thread_pool_size', 'max_cached_workflows', 'buffer_max_records'] as const).map((k) => [k, config[k]]),
    ),
    nodeFlags: variant.bounded === false ? [] : cmd.args.slice(0, -1),
    rssMedianMb: pick('rssMb'),
    rssMaxMb: Math.max(...samples.map((s) => s.rssMb)),
    anonMb: pick('anonMb'),
    fileMb: pick('fileMb'),
    heapUsedMb: pick('heapUsedMb'),
    heapTotalMb: pick('heapTotalMb'),
    externalMb: pick('externalMb'),
    arrayBuffersMb: pick('arrayBuffersMb'),
    threads: pick('threads'),
    tradesPerSecond: seconds > 0 ? Math.round(trades / seconds) : 0,
    cpuUsPerTrade: trades > 0 ? Math.round(((last.cpuSeconds - first.cpuSeconds) * 1e6) / trades) : null,
    samples,
  };
}

/** The bare worker built step by step in a process of its own, started as `variant` starts it. */
async function stages(variant: Variant): Promise<StageSample[]> {
  const env = { ...process.env, LOG_LEVEL: 'warn', METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', TASK_QUEUE: `bench-memory-stages-${Date.now().toString(36)}` };
  const child = spawnAs(variant, loadConfig(env), join(__dirname, 'worker-memory-stages.js'), ['--expose-gc'], env);
  const out: StageSample[] = [];
  for await (const line of createInterface({ input: child.stdout! })) {
    const s = JSON.parse(line) as StageSample;
    out.push(s);
    process.stderr.write(`[stages] ${s.stage}: RSS ${s.rssMb} MB (anon ${s.anonMb}, file ${s.fileMb}), heap ${s.heapUsedMb}/${s.heapTotalMb} MB\n`);
  }
  return out;
}

interface Report {
  stages?: Record<string, StageSample[]>;
  runs?: RunResult[];
}

/** What earlier invocations measured (another tag, scenario or variant) stays in the report. */
function previousReport(): Report {
  const file = join(projectRoot, 'bench', 'results', 'worker-memory.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Report) : {};
}

function printTable(runs: RunResult[]): void {
  const cols: [string, (r: RunResult) => string][] = [
    ['run', (r) => r.id],
    ['RSS med', (r) => `${r.rssMedianMb}`],
    ['RSS max', (r) => `${r.rssMaxMb}`],
    ['anon', (r) => `${r.anonMb}`],
    ['file', (r) => `${r.fileMb}`],
    ['heap used/total', (r) => `${r.heapUsedMb}/${r.heapTotalMb}`],
    ['external', (r) => `${r.externalMb}`],
    ['arrayBuf', (r) => `${r.arrayBuffersMb}`],
    ['threads', (r) => `${r.threads}`],
    ['trades/s', (r) => `${r.tradesPerSecond}`],
    ['CPU/trade µs', (r) => (r.cpuUsPerTrade === null ? '-' : `${r.cpuUsPerTrade}`)],
  ];
  const widths = cols.map(([h, f]) => Math.max(h.length, ...runs.map((r) => f(r).length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log('MB; medians over the sampled window unless "max"');
  console.log(row(cols.map(([h]) => h)));
  for (const r of runs) console.log(row(cols.map(([, f]) => f(r))));
}

async function main(): Promise<void> {
  const list = (v: string | undefined, all: string[], fallback: string[]) => {
    const names = v ? v.split(',').map((s) => s.trim()) : fallback;
    const unknown = names.filter((n) => !all.includes(n));
    if (unknown.length) throw new Error(`unknown: ${unknown.join(', ')} (known: ${all.join(', ')})`);
    return names;
  };
  const scenarios = list(process.env.BENCH_SCENARIOS, Object.keys(SCENARIOS), Object.keys(SCENARIOS));
  const variants = list(process.env.BENCH_VARIANTS, Object.keys(VARIANTS), ['default']);
  const plan: Plan = {
    runs: scenarios.flatMap((scenario) => variants.map((variant) => ({ scenario, variant }))),
    seconds: Number(process.env.BENCH_SECONDS ?? 60),
    warmup: Number(process.env.BENCH_WARMUP_SECONDS ?? 30),
    tag: process.env.BENCH_TAG ? `${process.env.BENCH_TAG}:` : '',
  };
  const stageSamples = process.env.BENCH_STAGES === '0' ? undefined : await stages(VARIANTS[variants[0]]);
  const config = loadConfig();
  const connection = await connectTemporal(config);
  const client = new Client({ connection, namespace: config.temporal_namespace });
  const results: RunResult[] = [];
  for (let i = 0; i < plan.runs.length; i++) results.push(await run(client, plan, i));
  await connection.close();
  const ids = new Set(results.map((r) => r.id));
  const previous = previousReport();
  const runs = [...(previous.runs ?? []).filter((r) => !ids.has(r.id)), ...results];
  const stagesByTag = { ...previous.stages, ...(stageSamples ? { [process.env.BENCH_TAG ?? 'current']: stageSamples } : {}) };
  writeBenchReport(
    'worker-memory',
    { sampleIntervalMs: SAMPLE_MS, warmupSeconds: plan.warmup, stages: stagesByTag, runs },
    {
      title: 'Stream worker RSS after warm-up',
      xLabel: 'seconds sampled',
      yLabel: 'RSS MB',
      series: results.map((r) => ({ name: r.id, points: r.samples.map((s) => [s.t, s.rssMb] as [number, number]) })),
      thresholds: [{ value: 200, label: 'target 200 MB' }],
    },
  );
  for (const [tag, list] of Object.entries(stagesByTag)) {
    console.log(`\nbare worker step by step (${tag}): RSS / anon / file / heap used MB`);
    for (const st of list) console.log(`  ${st.stage.padEnd(44)} ${String(st.rssMb).padStart(6)} ${String(st.anonMb).padStart(6)} ${String(st.fileMb).padStart(6)} ${String(st.heapUsedMb).padStart(6)}`);
  }
  console.log();
  printTable(runs);
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(`bench: ${err.message}`);
  process.exit(1);
});
