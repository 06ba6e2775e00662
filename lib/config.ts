import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { checkConnectionSettings, connectionSettingsShape, resolveSecrets, resolveTlsSwitches } from './config-connections';

// The one place settings are read. Every setting has a snake_case name (the original plan's
// names where it had one); its environment variable is the upper-case name; an optional JSON
// file (K2_CONFIG_FILE) may hold any of them, and the environment wins over the file.

let buildIdCache: string | undefined;

/** Package version + short git commit (`0.1.0-3f2a9c1`), or `-dev` outside a git checkout (an image sets BUILD_ID). */
export function defaultBuildId(): string {
  if (buildIdCache) return buildIdCache;
  // This file sits in lib/ (sources) or dist/lib/ (built): the package is one or two levels up.
  let version = '0.0.0';
  for (const up of ['..', '../..']) {
    try {
      version = (JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as { version: string }).version;
      break;
    } catch {
      // not here
    }
  }
  let commit = 'dev';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim() || 'dev';
  } catch {
    // no git, or not a checkout
  }
  return (buildIdCache = `${version}-${commit}`);
}

const list = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string().min(1)).min(1),
);
const bool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return v;
}, z.boolean());
const positive = z.coerce.number().positive();
const port = z.coerce.number().int().min(0).max(65535);
const hostPort = z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port');

export const configSchema = z.object({
  temporal_address: hostPort.default('127.0.0.1:7233'),
  temporal_namespace: z.string().min(1).default('default'),
  task_queue: z.string().min(1).default('binance-stream'),
  workflow_id: z.string().min(1).default('binance-stream'),
  // Temporal Worker Versioning: every stream worker is a version (build id) of one Worker Deployment.
  deployment_name: z.string().min(1).default('k2-stream'),
  build_id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only').default(() => defaultBuildId()),
  // Deployments run on an unversioned worker of their own queue: they outlive the builds they switch.
  deploy_task_queue: z.string().min(1).default('binance-stream-deploy'),

  kafka_brokers: list.pipe(z.array(hostPort)).default(['127.0.0.1:9092']),
  kafka_client_id: z.string().min(1).default('k2-stream'),
  kafka_topic: z.string().min(1).default('market.crypto.trades.binance'),
  kafka_dlq_topic: z.string().min(1).default('market.crypto.trades.binance.dlq'),
  kafka_partitions: z.coerce.number().int().min(1).default(6),
  kafka_replication_factor: z.coerce.number().int().min(-1).default(-1),
  // Unset: min(2, kafka_replication_factor) when that is above 1, so acks=all means two copies.
  kafka_min_insync_replicas: z.coerce.number().int().min(1).optional(),
  // A session's writers share `<prefix>:<workflow id>`, so a new attempt fences the old.
  kafka_transactional_id_prefix: z.string().min(1).default('k2-stream'),
  schema_registry_url: z.url().optional(),
  // TLS and authentication to Kafka, Temporal and the registry (lib/config-connections.ts).
  ...connectionSettingsShape,

  symbols: list.default(['BTCUSDT', 'ETHUSDT', 'BNBUSDT']),
  binance_ws_urls: list.pipe(z.array(z.url())).default([
    'wss://stream.binance.com:9443',
    'wss://stream.binance.com:443',
    'wss://data-stream.binance.vision',
  ]),
  binance_rest_urls: list.pipe(z.array(z.url())).default(['https://api.binance.com', 'https://api-gcp.binance.com']),

  ssl_verify: bool.default(true),
  custom_ca_bundle: z.string().min(1).optional(),
  // Binance cuts at 24 h; a planned rotation must come first.
  connection_max_lifetime_hours: positive.max(23.5).default(4),
  ping_interval_seconds: positive.default(180),
  ping_timeout_seconds: positive.default(10),
  health_check_timeout: positive.default(30),
  serializer_cache_max_size: z.coerce.number().int().min(1).default(10),
  heartbeat_timeout_seconds: positive.max(300).default(20),
  buffer_max_records: z.coerce.number().int().min(10).default(50_000),
  // How long the first record of an idle buffer waits for others before a transaction starts
  // (Kafka's linger.ms). 0: at once, the lowest latency. A quiet session pays a transaction per
  // trade or two; on the whole market (bench:fleet, ~50 trades/s per session) 50 ms cut the
  // workers' CPU by about a third and put ~45 ms on p50, while 5 ms changed nothing measurable.
  kafka_linger_ms: z.coerce.number().int().min(0).max(1_000).default(0),
  max_payload_bytes: z.coerce.number().int().min(1024).default(1 << 20),
  reconnect_backoff_initial_ms: positive.default(500),
  reconnect_backoff_max_ms: positive.default(30_000),
  rest_weight_budget_per_minute: z.coerce.number().int().min(25).default(3_000),
  // Binance's REQUEST_WEIGHT limit per minute per IP; the client stays under 90% of it.
  rest_weight_limit_per_minute: z.coerce.number().int().min(25).default(6_000),
  backfill_max_trades: z.coerce.number().int().min(0).default(1_000_000),
  // A live id this far below a symbol's cursor is another id space (demo, reset exchange), not a late duplicate.
  id_regression_threshold: z.coerce.number().int().min(1).default(1_000_000),

  // Each report is a signal, i.e. history events: every 30 s keeps a 4 h run near 2,000.
  status_report_interval_seconds: positive.default(30),

  // The fleet (k2 fleet): stream activities one worker process runs at once (the SDK's
  // maxConcurrentActivityTaskExecutions, which the short validation and probe activities share);
  // a session beyond it waits for a worker with room. More sessions: more worker processes.
  max_sessions_per_worker: z.coerce.number().int().min(1).default(32),
  // A session of more symbols than this labels its per-symbol metrics with the session instead
  // (symbol="session:<workflow id>"): a fleet of 1,500 symbols stays a handful of series.
  metrics_symbol_labels_max: z.coerce.number().int().min(0).default(50),
  // Kafka batch compression: gzip (level 1, run synchronously: lib/kafka/gzip-codec.ts) or none. lz4
  // and zstd were measured or unavailable here (README, Measured figures). none: least CPU, most bytes.
  compression: z.enum(['gzip', 'none']).default('gzip'),

  // Production validation (k2 validate): figures from this Prometheus when set, otherwise from
  // the workers' own /metrics (default: this host's metrics_port); reports under reports_dir.
  prometheus_url: z.url().optional(),
  worker_metrics_urls: list.pipe(z.array(z.url())).optional(),
  // Relative to the project root.
  reports_dir: z.string().min(1).default('reports'),

  metrics_host: z.string().min(1).default('127.0.0.1'),
  metrics_port: port.default(9091),
  temporal_metrics_port: port.default(9464),
  memory_sample_interval_seconds: positive.default(30),
  memory_window_samples: z.coerce.number().int().min(3).default(120),

  // The worker process's memory bounds (bench/worker-memory.ts measured each). The first four
  // must hold from process start: `k2 worker` relaunches itself with them, spawners use
  // streamWorkerCommand (workers/worker-launch.ts).
  // V8 old space of each isolate (--max-old-space-size): a hard limit (past it the process
  // aborts), so it leaves room for a full buffer_max_records; V8 sizes its heap lazily below it.
  worker_heap_mb: z.coerce.number().int().min(64).default(128),
  // V8 young generation half-space (--max-semi-space-size): V8's 16 MB costs ~25 MB of RSS more.
  worker_semi_space_mb: z.coerce.number().int().min(1).max(64).default(4),
  // glibc malloc arenas (MALLOC_ARENA_MAX): glibc's default is 8 per core, each keeping freed memory.
  malloc_arena_max: z.coerce.number().int().min(1).max(64).default(2),
  // glibc's mmap threshold (MALLOC_MMAP_THRESHOLD_), fixed: by default glibc raises it after each
  // large free, so later socket and Kafka batch buffers come from the arenas and their pages stay
  // resident after a burst (the soak saw RSS step up with each burst and not come back).
  malloc_mmap_threshold_kb: z.coerce.number().int().min(16).max(32_768).default(128),
  // Workflow threads, each a V8 isolate holding the workflow bundle (the SDK's default is 1 too).
  workflow_thread_pool_size: z.coerce.number().int().min(1).max(16).default(1),
  // Workflows kept in memory between tasks; the SDK's default grows with the heap limit (2,000+
  // on a large machine). An evicted session replays its history on its next task.
  max_cached_workflows: z.coerce.number().int().min(0).default(100),
  // A workflow bundle built beforehand (`node dist/workers/workflow-bundle.js > file`, as the
  // Dockerfile does) from the same build; unset: built at start-up in a short-lived process.
  workflow_bundle_path: z.string().min(1).optional(),
});

/** The settings, with the TLS switches resolved (unset: on when anything TLS-only is configured). */
export type Config = Omit<z.infer<typeof configSchema>, 'kafka_ssl' | 'temporal_tls'> & { kafka_ssl: boolean; temporal_tls: boolean };
export type SettingName = keyof Config;

export const settingNames = Object.keys(configSchema.shape) as SettingName[];

export function envName(setting: string): string {
  return setting.toUpperCase();
}

export class ConfigError extends Error {
  constructor(readonly problems: { setting: string; message: string }[]) {
    super(
      `invalid configuration:\n${problems.map((p) => `  ${p.setting} (env ${envName(p.setting)}): ${p.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

function readFileSettings(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([{ setting: 'k2_config_file', message: `cannot read ${file}: ${(err as Error).message}` }]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([{ setting: 'k2_config_file', message: `${file} must hold a JSON object` }]);
  }
  const unknown = Object.keys(parsed).filter((k) => !(settingNames as string[]).includes(k));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map((k) => ({ setting: k, message: `unknown setting in ${file}` })));
  }
  return parsed as Record<string, unknown>;
}

/**
 * Reads and validates every setting. `overrides` (from a command line) win over the
 * environment, which wins over the file. A bad value throws a ConfigError naming the setting.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<SettingName, unknown>> = {}): Config {
  const raw: Record<string, unknown> = env.K2_CONFIG_FILE ? readFileSettings(env.K2_CONFIG_FILE) : {};
  for (const name of settingNames) {
    const value = env[envName(name)];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) raw[name] = value;
  // Before parsing: a secret is a Secret from here on, so even a message about it prints [redacted].
  const secretProblems = resolveSecrets(raw);
  if (secretProblems.length) throw new ConfigError(secretProblems);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const setting = String(issue.path[0] ?? '?');
        const got = raw[setting];
        return { setting, message: `${issue.message}${got !== undefined ? ` (got ${JSON.stringify(got)})` : ''}` };
      }),
    );
  }
  const cross = [...crossCheck(result.data), ...checkConnectionSettings(result.data)];
  if (cross.length) throw new ConfigError(cross);
  return { ...result.data, ...resolveTlsSwitches(result.data) };
}

/** Settings that are valid alone but not together. */
function crossCheck(c: z.infer<typeof configSchema>): { setting: string; message: string }[] {
  const problems: { setting: string; message: string }[] = [];
  if (c.kafka_min_insync_replicas !== undefined && c.kafka_replication_factor > 0 && c.kafka_min_insync_replicas > c.kafka_replication_factor) {
    problems.push({
      setting: 'kafka_min_insync_replicas',
      message: `${c.kafka_min_insync_replicas} is above kafka_replication_factor ${c.kafka_replication_factor}: every acks=all write would fail`,
    });
  }
  return problems;
}

/** Whether the operator pointed a part at an existing service, so the local one is not started. */
export function isExplicitlySet(setting: SettingName, env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env[envName(setting)];
}
