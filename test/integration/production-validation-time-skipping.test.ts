import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createValidationActivities } from '../../activities/validation';
import { loadConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka/client';
import { dayPasses, DayFigures, evaluateDay, expectedCounts } from '../../lib/validation/criteria';
import type { DayCheck, DayCheckInput } from '../../lib/validation/day-result';
import { installTestServer } from '../../ops/infra/temporal-test-server';
import { workflowBundle } from '../../workers/workflow-bundle';
import { productionValidation } from '../../workflows';
import { abortSignal, checkNowSignal, DAY_MS, reportQuery } from '../../workflows/production-validation-api';
import { eventually } from '../helpers/metrics';
import { uniqueName } from '../helpers/names';

// The 7-day validation in seconds on Temporal's Java time-skipping test server. The check
// activity is replaced (real figures need real days); the workflow, its timers, signals, query
// and the report activity are the real ones.

const settings = { connection_max_lifetime_hours: 4, ping_interval_seconds: 180 };

/** A production-like day scaled to the window; `criticalOnDay` gets a firing BinanceConnectionStale. */
function fakeCheck(criticalOnDay: number) {
  return async (i: DayCheckInput): Promise<DayCheck> => {
    const s = (i.toMs - i.fromMs) / 1000;
    const expected = expectedCounts(settings, s);
    const figures: DayFigures = {
      trades: Math.round(s * 42),
      tradesPerSecond: 42,
      rotations: Math.round(expected.rotations.expected),
      pings: Math.floor(expected.pings.expected) - Math.ceil(expected.rotations.expected),
      pongs: Math.floor(expected.pings.expected) - Math.ceil(expected.rotations.expected),
      pongTimeouts: 0,
      reconnects: { server_shutdown: 0 },
      unrecoverableTrades: 0,
      memory: { minMb: 212, maxMb: 231 + i.day, growthMbPerDay: 1.5, samples: 5760 },
      leakScoreMax: 0.08,
      alerts: i.day === criticalOnDay ? [{ alertname: 'BinanceConnectionStale', severity: 'critical', firstAt: new Date(i.toMs - 3_600_000).toISOString(), lastAt: new Date(i.toMs - 3_000_000).toISOString(), labels: {} }] : [],
      completeness: { topic: 'market.crypto.trades.binance', records: Math.round(s * 42), missing: 0, duplicated: 0, symbols: { BTCUSDT: { records: Math.round(s * 42), firstId: i.day * 1e6, lastId: i.day * 1e6 + Math.round(s * 42) - 1, missing: 0, duplicated: 0 } }, holes: [] },
    };
    const criteria = evaluateDay(figures, expected, i.bars);
    return { day: i.day, from: new Date(i.fromMs).toISOString(), to: new Date(i.toMs).toISOString(), windowHours: s / 3600, source: 'prometheus', settings, expected, figures, criteria, pass: dayPasses(criteria), links: [], notes: [] };
  };
}

let env: TestWorkflowEnvironment;
const reportsDir = mkdtempSync(join(tmpdir(), 'k2-validation-'));

beforeAll(async () => {
  const path = await installTestServer();
  // The SDK gives the JVM 5 s to answer; on a busy machine the first start can miss that once.
  const start = () => TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  env = await start().catch(() => start());
}, 180_000);
afterAll(() => env?.teardown());

async function withWorker<T>(criticalOnDay: number, body: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueName('validation');
  const real = createValidationActivities({
    config: loadConfig(process.env, { reports_dir: reportsDir }),
    kafka: createKafka({ kafka_brokers: ['127.0.0.1:9092'] }, { clientId: 'unused', quiet: true }),
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: { ...real, validationBaseline: async () => null, checkValidationDay: fakeCheck(criticalOnDay) },
  });
  return worker.runUntil(body(taskQueue));
}

test('seven daily checks on durable timers, a failing day reported as such; the history stays small', async () => {
  const started = Date.now();
  const { result, history } = await withWorker(3, async (taskQueue) => {
    const handle = await env.client.workflow.start(productionValidation, { taskQueue, workflowId: 'validate-b7', args: [{ buildId: 'b7' }] });
    const result = await handle.result();
    return { result, history: await handle.fetchHistory() };
  });
  expect(Date.now() - started).toBeLessThan(60_000);
  expect(result).toEqual(expect.objectContaining({ verdict: 'fail', days: 7, failedDays: [3] }));
  expect(result.summary).toBe('FAIL: 7/7 days checked, failed: day 3');

  // Each check is its own activity result in history, each after a 24 h timer.
  const events = history.events ?? [];
  const EventType = temporal.api.enums.v1.EventType;
  const scheduled = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  const checks = scheduled.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'checkValidationDay');
  expect(checks).toHaveLength(7);
  const timers = events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
  // Each due a day after the previous check (less the moments the check and report took).
  for (const t of timers) expect(Number(t.timerStartedEventAttributes?.startToFireTimeout?.seconds)).toBeGreaterThan(DAY_MS / 1000 - 60);
  expect(timers).toHaveLength(7);
  expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED)).toHaveLength(7);
  const completed = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
  expect(completed.length).toBe(scheduled.length);
  const bytes = temporal.api.history.v1.History.encode(history).finish().length;
  process.stdout.write(`\n7-day validation history: ${events.length} events, ${bytes} bytes (${scheduled.length} activities: 1 baseline, 7 checks, ${scheduled.length - 8} reports)\n`);
  expect(events.length).toBeLessThan(200);

  // The report: the verdict, every day, the failing one with its alert, and a chart per day.
  const json = JSON.parse(readFileSync(result.reportPath, 'utf8'));
  expect(json.state).toBe('failed');
  expect(json.days.map((d: DayCheck) => d.pass)).toEqual([true, true, false, true, true, true, true]);
  const day3 = json.days[2] as DayCheck;
  expect(day3.criteria.find((c) => c.name === 'critical alerts fired')).toEqual(expect.objectContaining({ status: 'fail', value: 'BinanceConnectionStale' }));
  expect(json.days[0].criteria.find((c: { name: string }) => c.name === 'rotations')).toEqual(expect.objectContaining({ value: 6, status: 'pass' }));
  expect(json.days[0].criteria.find((c: { name: string }) => c.name === 'pings sent')).toEqual(expect.objectContaining({ status: 'pass' }));
  const md = readFileSync(join(result.reportPath, '..', 'validation-report.md'), 'utf8');
  expect(md).toContain('### Day 3: FAIL');
  expect(md).toContain('alert BinanceConnectionStale (critical)');
  const svg = readFileSync(result.chartPath, 'utf8');
  for (const name of ['RSS max', 'RSS min', 'trades/s', 'rotations', 'pings', 'expected']) expect(svg).toContain(`>${name}</text>`);
}, 120_000);

test('checkNow runs the next check at once; abort ends the run with the days so far', async () => {
  const result = await withWorker(0, async (taskQueue) => {
    const handle = await env.client.workflow.start(productionValidation, { taskQueue, workflowId: uniqueName('validate'), args: [{ days: 7 }] });
    await handle.signal(checkNowSignal);
    await eventually(async () => (await handle.query(reportQuery)).days.length === 1, 20_000, 'the early check');
    const report = await handle.query(reportQuery);
    expect(report.days[0].windowHours).toBeLessThan(0.1);
    // The next check is due a full interval after this one.
    expect(Date.parse(report.nextCheckAt!) - Date.parse(report.days[0].to)).toBe(DAY_MS);
    expect(report.verdict).toEqual(expect.objectContaining({ pass: null, summary: 'running: 1/7 days checked' }));
    await handle.signal(abortSignal, 'deployment rolled back');
    return handle.result();
  });
  expect(result).toEqual(expect.objectContaining({ verdict: 'aborted', days: 1, failedDays: [] }));
  expect(result.summary).toBe('aborted (deployment rolled back) after 1/7 days checked');
  expect(existsSync(result.reportPath)).toBe(true);
}, 60_000);
