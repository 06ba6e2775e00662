import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { counterIncrease } from '../../../lib/prometheus/prom-api';
import { dayPasses, DayFigures, DEFAULT_BARS, evaluateDay, expectedCounts } from '../../../lib/validation/criteria';
import { DayCheck, failedCheck, verdictOf } from '../../../lib/validation/day-result';
import { WorkerSnapshot, workerMetricsEvidence } from '../../../lib/validation/evidence';
import { writeValidationReport } from '../../../lib/validation/validation-report';

const DAY = 86_400;

const figures = (o: Partial<DayFigures> = {}): DayFigures => ({
  trades: 42 * DAY, tradesPerSecond: 42, rotations: 6, pings: 476, pongs: 476, pongTimeouts: 0, reconnects: {}, unrecoverableTrades: 0,
  memory: { minMb: 210, maxMb: 240, growthMbPerDay: 2, samples: 5760 }, leakScoreMax: 0.1, alerts: [],
  completeness: { topic: 't', records: 42 * DAY, missing: 0, duplicated: 0, symbols: {}, holes: [] },
  ...o,
});
const status = (f: DayFigures, name: string, settings = { connection_max_lifetime_hours: 4, ping_interval_seconds: 180 }) =>
  evaluateDay(f, expectedCounts(settings, DAY), DEFAULT_BARS).find((c) => c.name === name)?.status;

describe('expected counts follow the settings in force', () => {
  test("the plan's figures at its defaults: 6 rotations and 480 pings a day", () => {
    const e = expectedCounts({ connection_max_lifetime_hours: 4, ping_interval_seconds: 180 }, DAY);
    expect(e.rotations).toEqual(expect.objectContaining({ expected: 6, min: 5, max: 7 }));
    expect(e.pings).toEqual(expect.objectContaining({ expected: 480, min: 456, max: 481 }));
    expect(e.rotations.because).toBe('24 h / connection_max_lifetime_hours 4');
  });

  test('a 2 h lifetime expects 12 rotations; a 60 s ping interval 1,440 pings', () => {
    const e = expectedCounts({ connection_max_lifetime_hours: 2, ping_interval_seconds: 60 }, DAY);
    expect(e.rotations.expected).toBe(12);
    expect(e.pings.expected).toBe(1440);
    expect(status(figures({ rotations: 6 }), 'rotations', { connection_max_lifetime_hours: 2, ping_interval_seconds: 180 })).toBe('fail');
    expect(status(figures({ rotations: 12 }), 'rotations', { connection_max_lifetime_hours: 2, ping_interval_seconds: 180 })).toBe('pass');
  });

  test('an early check (checkNow) scales the expectation to its window', () => {
    const e = expectedCounts({ connection_max_lifetime_hours: 4, ping_interval_seconds: 180 }, 3_600);
    expect(e.rotations).toEqual(expect.objectContaining({ min: 0, max: 2 }));
    expect(e.pings.expected).toBe(20);
    // Ten minutes of RSS say nothing about growth per day.
    const short = evaluateDay(figures({ memory: { minMb: 200, maxMb: 216, growthMbPerDay: 2304, samples: 20 } }), expectedCounts({ connection_max_lifetime_hours: 4, ping_interval_seconds: 180 }, 600), DEFAULT_BARS);
    expect(short.find((c) => c.name === 'RSS growth per day')?.status).toBe('unmeasured');
  });
});

describe('criteria', () => {
  test('a good day passes every criterion', () => {
    const criteria = evaluateDay(figures(), expectedCounts({ connection_max_lifetime_hours: 4, ping_interval_seconds: 180 }, DAY), DEFAULT_BARS);
    expect(criteria.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(dayPasses(criteria)).toBe(true);
  });

  test.each([
    ['worker RSS', { memory: { minMb: 230, maxMb: 260, growthMbPerDay: 1, samples: 10 } }],
    ['RSS growth per day', { memory: { minMb: 200, maxMb: 240, growthMbPerDay: 12, samples: 10 } }],
    ['trades acknowledged per second', { tradesPerSecond: 9.5 }],
    ['pings sent', { pings: 400 }],
    ['critical alerts fired', { alerts: [{ alertname: 'BinanceMemoryHigh', severity: 'critical', firstAt: '', lastAt: '', labels: {} }] }],
    ['missing trade ids', { completeness: { topic: 't', records: 1, missing: 3, duplicated: 0, symbols: {}, holes: [] } }],
    ['duplicated trade ids', { completeness: { topic: 't', records: 1, missing: 0, duplicated: 1, symbols: {}, holes: [] } }],
    ['leak score (max)', { leakScoreMax: 0.5 }],
  ] as [string, Partial<DayFigures>][])('%s fails the day', (name, o) => {
    expect(status(figures(o), name)).toBe('fail');
  });

  test('a warning alert does not fail the day; what cannot be measured is listed, not passed', () => {
    expect(status(figures({ alerts: [{ alertname: 'BinancePongTimeout', severity: 'warning', firstAt: '', lastAt: '', labels: {} }] }), 'critical alerts fired')).toBe('pass');
    const criteria = evaluateDay(figures({ alerts: null }), expectedCounts({ connection_max_lifetime_hours: 4, ping_interval_seconds: 180 }, DAY), DEFAULT_BARS);
    expect(criteria.find((c) => c.name === 'critical alerts fired')?.status).toBe('unmeasured');
    expect(dayPasses(criteria)).toBe(true);
  });
});

describe('counters differenced', () => {
  test('increase without extrapolation, a drop being a restart from zero', () => {
    expect(counterIncrease([5, 7, 7, 10])).toBe(5);
    expect(counterIncrease([5, 7, 2, 4])).toBe(6);
    expect(counterIncrease([3])).toBe(0);
  });

  const snap = (o: Partial<WorkerSnapshot> & { trades: number }): WorkerSnapshot => ({
    url: 'http://w1/metrics', atMs: 0, processStartSeconds: 100, rssBytes: 200 * 2 ** 20, leakScore: 0.1, reconnects: { pong_timeout: 0 },
    counters: { trades: o.trades, rotations: 0, pings: 0, pongs: 0, pongTimeouts: 0, unrecoverableTrades: 0 },
    ...o,
  });

  test("the workers' /metrics between two checks; a restarted worker counts from its start", () => {
    const same = workerMetricsEvidence([snap({ trades: 1000 })], [snap({ trades: 4000, atMs: 3_600_000, rssBytes: 201 * 2 ** 20 })]);
    expect(same.source).toBe('worker-metrics');
    expect(same.figures.trades).toBe(3000);
    expect(same.figures.alerts).toBeNull();
    expect(same.figures.memory).toEqual({ minMb: 200, maxMb: 201, growthMbPerDay: 24, samples: 2 });
    const restarted = workerMetricsEvidence([snap({ trades: 1000 })], [snap({ trades: 1500, processStartSeconds: 200 })], ['http://w2/metrics']);
    expect(restarted.figures.trades).toBe(1500);
    expect(restarted.notes.join('\n')).toMatch(/new worker process/);
    expect(restarted.notes.join('\n')).toMatch(/w2.*unreachable/);
  });
});

describe('verdict and report', () => {
  const day = (n: number, pass: boolean): DayCheck => ({
    day: n, from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z', windowHours: 24, source: 'prometheus',
    settings: { connection_max_lifetime_hours: 4, ping_interval_seconds: 180 }, expected: expectedCounts({ connection_max_lifetime_hours: 4, ping_interval_seconds: 180 }, DAY),
    figures: figures(), criteria: [], pass, links: [{ label: 'worker RSS', url: 'http://prom/graph?g0.expr=x' }], notes: [],
  });

  test('passes only with every planned day checked and none failed', () => {
    expect(verdictOf([day(1, true), day(2, true)], 2, 'passed').pass).toBe(true);
    expect(verdictOf([day(1, true), day(2, false)], 2, 'failed')).toEqual(expect.objectContaining({ pass: false, failedDays: [2] }));
    expect(verdictOf([day(1, true)], 2, 'failed').pass).toBe(false);
    expect(verdictOf([day(1, true)], 2, 'running').pass).toBeNull();
    expect(verdictOf([failedCheck({ day: 1, fromMs: 0, toMs: 1 }, 'Prometheus unreachable')], 1, 'failed').summary).toBe('FAIL: 1/1 days checked, failed: day 1');
  });

  test('JSON, Markdown and a chart per day', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k2-report-'));
    const days = [day(1, true), { ...failedCheck({ day: 2, fromMs: 0, toMs: 3_600_000 }, 'Prometheus unreachable'), snapshot: [] }];
    const paths = writeValidationReport(dir, {
      workflowId: 'validate-b1', buildId: 'b1', state: 'failed', startedAt: '2026-01-01T00:00:00.000Z', plannedDays: 2, intervalHours: 24, nextCheckAt: null,
      bars: DEFAULT_BARS, verdict: verdictOf(days, 2, 'failed'), abortReason: null, days,
    });
    const md = readFileSync(paths.markdown, 'utf8');
    expect(md).toContain('**FAIL: 2/2 days checked, failed: day 2**');
    expect(md).toContain('The check could not run: Prometheus unreachable');
    expect(md).toContain('[worker RSS](http://prom/graph?g0.expr=x)');
    expect(JSON.parse(readFileSync(paths.json, 'utf8')).days[1]).not.toHaveProperty('snapshot');
    expect(readFileSync(paths.chart, 'utf8')).toContain('>RSS max</text>');
  });
});
