import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { createValidationActivities } from '../../activities/validation';
import { projectRoot } from '../../lib/paths';
import { scrapeWorker, WorkerScrape } from '../../lib/prometheus/worker-scrape';
import { DEFAULT_BARS } from '../../lib/validation/criteria';
import type { DayCheck } from '../../lib/validation/day-result';
import { stopRecorded } from '../../ops/infra/process-control';
import { installPrometheus, rulesWithShortFor, startPrometheus, writeScrapeConfig } from '../../ops/infra/prometheus';
import { freePort, httpOk } from '../../ops/infra/readiness';
import { temporalBinary } from '../../ops/infra/temporal';
import { productionValidation } from '../../workflows';
import { statusQuery } from '../../workflows/stream-session-api';
import { configEnv } from '../helpers/child-worker';
import { testKafka } from '../helpers/kafka';
import { eventually } from '../helpers/metrics';
import { uniqueName } from '../helpers/names';
import { StreamEnv, streamEnv } from '../helpers/stream-env';
import { sleep } from '../helpers/ws-client';

// The validation against real parts: a streaming worker process (the simulator behind it), a
// real Prometheus scraping it and evaluating the project's alert rules, the real check activity,
// then the same worker hosting the validation restarted mid-day, then a Temporal Schedule.

const run = promisify(execFile);
const k2 = join(__dirname, '../../bin/k2.js');
const LIFETIME_S = 8;
// A window of seconds says nothing about memory growth or a leak: those bars are for days.
const shortWindowBars = { ...DEFAULT_BARS, rssBandMb: [0, 4000] as [number, number], maxGrowthMbPerDay: 1e9, maxLeakScore: 1.01 };

let env: StreamEnv;
let metricsUrl: string;
let promUrl: string;
const reportsDir = mkdtempSync(join(tmpdir(), 'k2-validation-'));
const promRecord = uniqueName('prometheus-validation');

beforeAll(async () => {
  await installPrometheus();
  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  const metricsPort = await freePort();
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  env = await streamEnv({
    simulator: { symbols: [{ symbol: 'BTCUSDT', rate: 50 }, { symbol: 'ETHUSDT', rate: 50 }] },
    settings: {
      ping_interval_seconds: 1,
      ping_timeout_seconds: 1,
      connection_max_lifetime_hours: LIFETIME_S / 3600,
      heartbeat_timeout_seconds: 5,
      memory_sample_interval_seconds: 1,
      prometheus_url: promUrl,
      reports_dir: reportsDir,
    },
    childWorkers: true,
  });
  env.spawnWorker({ METRICS_PORT: String(metricsPort) });
  await eventually(() => httpOk(metricsUrl), 60_000, 'the worker process serving /metrics');
  // The project's rules with `for:` shortened and the 10-minute stale threshold scaled to 5 s,
  // as the soak scales a day: the same expressions, on a clock a test can wait for.
  const dir = mkdtempSync(join(tmpdir(), 'k2-prom-validation-'));
  const rules = rulesWithShortFor(readFileSync(join(projectRoot, 'ops', 'prometheus', 'rules', 'critical_alerts.yml'), 'utf8'), '1s');
  writeFileSync(join(dir, 'rules.yml'), rules.replace(/\) > 600$/m, ') > 5'));
  writeScrapeConfig(join(dir, 'prometheus.yml'), { workerTarget: `127.0.0.1:${metricsPort}`, rulesFile: 'rules.yml', intervalSeconds: 1 });
  await startPrometheus({ host: '127.0.0.1', port: promPort, configFile: join(dir, 'prometheus.yml'), dataDir: join(dir, 'data') }, promRecord);
  await env.start();
  await eventually(async () => Object.values((await env.handle!.query(statusQuery)).perSymbol).every((p) => p.total > 0), 60_000, 'both symbols streaming');
}, 180_000);

afterAll(async () => {
  await stopRecorded(promRecord);
  await env?.teardown();
});

const rotation = async () => (await env.handle!.query(statusQuery)).rotation;
const nextRotation = async (after: number) => eventually(async () => (await rotation()) > after, 30_000, `rotation ${after + 1}`);

/**
 * A window edge nothing crosses: the market is quiet for 1.5 s (every trade acknowledged and
 * scraped) and no rotation is near, so the worker's counters now equal Prometheus' last scrape.
 */
async function quietEdge(): Promise<{ at: number; m: WorkerScrape }> {
  env.sim.pauseMarket();
  await sleep(1_500);
  const m = (await scrapeWorker(metricsUrl))!;
  return { at: Date.now(), m };
}

async function check(day: number, fromMs: number, toMs: number): Promise<DayCheck> {
  await sleep(1_500); // Prometheus scrapes past the window's end
  const activities = createValidationActivities({ config: env.config, kafka: testKafka() });
  return new MockActivityEnvironment().run(activities.checkValidationDay, { day, fromMs, toMs, bars: shortWindowBars });
}

const criterion = (d: DayCheck, name: string) => d.criteria.find((c) => c.name === name);

describe('the check activity against a real Prometheus scraping a streaming worker', () => {
  test('figures match what the worker did: rotations (lifetime and signalled), trades acknowledged, records in the topic', async () => {
    const r = await rotation();
    await nextRotation(r);
    const from = await quietEdge();
    env.sim.resumeMarket();
    await sleep(3_000);
    await env.handle!.signal('rotate', 'validation test');
    await nextRotation(r + 1); // signalled
    await nextRotation(r + 2); // lifetime
    const to = await quietEdge();
    const day = await check(1, from.at, to.at);
    env.sim.resumeMarket();

    const f = day.figures!;
    expect(day.source).toBe('prometheus');
    expect(f.rotations).toBe(to.m.rotations - from.m.rotations);
    expect(f.rotations).toBe(2);
    expect(f.trades).toBe(to.m.tradesProduced - from.m.tradesProduced);
    expect(f.trades).toBeGreaterThan(500);
    expect(f.completeness).toEqual(expect.objectContaining({ records: f.trades, missing: 0, duplicated: 0 }));
    expect(Math.abs(f.pings - (to.m.pings - from.m.pings))).toBeLessThanOrEqual(2);
    expect(f.memory!.maxMb).toBeGreaterThan(30);
    // Expected counts follow the settings in force: an 8 s lifetime and a 1 s ping interval.
    const windowS = (to.at - from.at) / 1000;
    expect(day.expected!.rotations.expected).toBeCloseTo(windowS / LIFETIME_S, 1);
    expect(day.expected!.pings.expected).toBeCloseTo(windowS, 1);
    for (const name of ['rotations', 'pings sent', 'trades acknowledged per second', 'critical alerts fired', 'missing trade ids', 'duplicated trade ids']) {
      expect({ name, status: criterion(day, name)?.status, value: criterion(day, name)?.value }).toEqual(expect.objectContaining({ name, status: 'pass' }));
    }
    expect(day.pass).toBe(true);
    expect(day.links.map((l) => l.url).every((u) => u.startsWith(`${promUrl}/graph?`))).toBe(true);
  }, 90_000);

  test('a forced pong loss fires a critical alert, and the day fails', async () => {
    const fromMs = Date.now();
    env.sim.inject({ type: 'no-pong', ms: 10_000 });
    // Stored as the check reads it: an ALERTS series, not only the rule manager's state.
    await eventually(async () => {
      const res = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent('ALERTS{alertname="BinanceConnectionStale",alertstate="firing"}')}`)).json()) as { data: { result: unknown[] } };
      return res.data.result.length > 0;
    }, 45_000, 'BinanceConnectionStale firing');
    await sleep(1_000);
    const day = await check(2, fromMs, Date.now());
    expect(criterion(day, 'critical alerts fired')).toEqual(expect.objectContaining({ status: 'fail', value: expect.stringContaining('BinanceConnectionStale') }));
    expect(day.pass).toBe(false);
    expect(day.figures!.pongTimeouts).toBeGreaterThan(0);
    expect(day.figures!.reconnects.pong_timeout).toBeGreaterThan(0);
    expect(day.figures!.pongs).toBeLessThan(day.figures!.pings);
  }, 90_000);
});

test('the worker hosting the validation restarted mid-day: the run goes on on its timers', async () => {
  const handle = await env.client.workflow.start(productionValidation, {
    taskQueue: env.config.task_queue,
    workflowId: uniqueName('validate'),
    args: [{ days: 2, intervalMs: 6_000, bars: shortWindowBars }],
  });
  await sleep(3_000);
  const killed = env.children[0].pid;
  await env.children[0].kill('SIGKILL');
  const restarted = env.spawnWorker({ METRICS_PORT: new URL(metricsUrl).port }).pid;
  const result = await handle.result();
  expect(result).toEqual(expect.objectContaining({ days: 2 }));
  const events = (await handle.fetchHistory()).events ?? [];
  const EventType = temporal.api.enums.v1.EventType;
  expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED)).toHaveLength(2);
  // Both days were checked against evidence (a failed day would say why it could not run).
  const report = JSON.parse(readFileSync(result.reportPath, 'utf8')) as { days: DayCheck[] };
  expect(report.days.map((d) => [d.day, d.source, d.error])).toEqual([[1, 'prometheus', undefined], [2, 'prometheus', undefined]]);
  // The run began on the killed worker process and went on on the restarted one.
  const identities = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED).map((e) => e.workflowTaskStartedEventAttributes?.identity ?? '');
  expect(identities.some((i) => i.startsWith(`${killed}@`))).toBe(true);
  expect(identities.some((i) => i.startsWith(`${restarted}@`))).toBe(true);
}, 120_000);

test('k2 validate schedule: a Temporal Schedule, visible in `temporal schedule list`, starts validations (overlap SKIP)', async () => {
  const scheduleId = uniqueName('validate-schedule');
  const cliEnv = configEnv(env.config);
  const created = await run(process.execPath, [k2, 'validate', 'schedule', '--every', '4s', '--days', '1', '--interval', '1s', '--schedule-id', scheduleId], { env: cliEnv });
  expect(created.stdout).toContain(`created schedule ${scheduleId}`);
  const schedule = env.client.schedule.getHandle(scheduleId);
  try {
    const listed = await run(temporalBinary, ['schedule', 'list', '--address', env.config.temporal_address]);
    expect(listed.stdout).toContain(scheduleId);
    const d = await schedule.describe();
    expect(d.policies.overlap).toBe('SKIP');
    let started = '';
    await eventually(async () => {
      const actions = (await schedule.describe()).info.recentActions;
      started = actions[0]?.action.workflow.workflowId ?? '';
      return started !== '';
    }, 30_000, 'the schedule starting a validation');
    expect(started).toMatch(/^validate-/);
    const result = await env.client.workflow.getHandle<typeof productionValidation>(started).result();
    expect(result.days).toBe(1);
    const status = await run(process.execPath, [k2, 'validate', 'status', '--workflow-id', started], { env: cliEnv });
    expect(status.stdout).toContain(`${started}: ${result.summary}`);
  } finally {
    await schedule.delete();
  }
}, 90_000);
