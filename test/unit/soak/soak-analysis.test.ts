import { chaosSchedule, CHAOS_KINDS } from '../../../soak/chaos';
import { formatDuration, parseDuration } from '../../../lib/duration';
import { parsePromText, promByLabel, promValue } from '../../../lib/prometheus/prom-text';
import { SampleSeries } from '../../../soak/soak-samples';
import { memoryFit, verdict } from '../../../soak/soak-verdict';
import { WorkerMetrics } from '../../../lib/prometheus/worker-scrape';

const metrics = (o: Partial<WorkerMetrics> = {}): WorkerMetrics => ({
  heapUsedBytes: 50 * 2 ** 20, heapTotalBytes: 80 * 2 ** 20, externalBytes: 0, arrayBuffersBytes: 0, eventLoopLagSeconds: 0.001, leakScore: 0,
  tradesReceived: 0, tradesProduced: 0, rotations: 0, reconnects: {}, pings: 0, pongs: 0, pongTimeouts: 0, bufferRecords: 0, backfilled: 0, gaps: 0, dlq: 0, unrecoverable: 0,
  ...o,
});

describe('soak analysis', () => {
  test('durations', () => {
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('90')).toBe(90_000);
    expect(() => parseDuration('1 day')).toThrow(/not a duration/);
    expect(formatDuration(3_723_000)).toBe('01:02:03');
  });

  test('the Prometheus text the worker serves', () => {
    const m = parsePromText(
      ['# HELP x y', 'binance_reconnects_total{reason="data_silence"} 2', 'binance_reconnects_total{reason="pong_timeout"} 1', 'k2_buffer_records 17', 'weird{a="q\\"uote"} 3'].join('\n'),
    );
    expect(promValue(m, 'binance_reconnects_total')).toBe(3);
    expect(promByLabel(m, 'binance_reconnects_total', 'reason')).toEqual({ data_silence: 2, pong_timeout: 1 });
    expect(promValue(m, 'k2_buffer_records')).toBe(17);
    expect(promValue(m, 'weird', { a: 'q"uote' })).toBe(3);
    expect(promValue(m, 'absent')).toBe(0);
  });

  test('the chaos schedule is seeded, inside the run, and every kind comes before any repeats', () => {
    const a = chaosSchedule({ wallS: 600, everyS: 60, seed: 1 });
    expect(chaosSchedule({ wallS: 600, everyS: 60, seed: 1 })).toEqual(a);
    expect(chaosSchedule({ wallS: 600, everyS: 60, seed: 2 })).not.toEqual(a);
    expect(a).toHaveLength(10);
    expect(a.every((e) => e.atWallS >= 60 && e.atWallS <= 510)).toBe(true);
    expect(new Set(a.slice(0, CHAOS_KINDS.length).map((e) => e.kind)).size).toBe(CHAOS_KINDS.length);
    expect([...a].sort((x, y) => x.atWallS - y.atWallS)).toEqual(a);
  });

  test('totals survive a worker restart (its counters start again at zero)', () => {
    const s = new SampleSeries(1);
    s.add(0, { pid: 1, rssBytes: 100 * 2 ** 20, vmsBytes: 0, cpuSeconds: 0 }, metrics({ tradesProduced: 100, reconnects: { stall: 1 } }));
    s.add(10, { pid: 1, rssBytes: 100 * 2 ** 20, vmsBytes: 0, cpuSeconds: 5 }, metrics({ tradesProduced: 300, reconnects: { stall: 2 } }));
    const after = s.add(20, { pid: 2, rssBytes: 90 * 2 ** 20, vmsBytes: 0, cpuSeconds: 1 }, metrics({ tradesProduced: 50, reconnects: { stall: 0 } }));
    expect(after.totals.acked).toBe(350);
    expect(after.totals.reconnects).toEqual({ stall: 2 });
    expect(after.ackedPerSecond).toBe(5);
    expect(s.samples[1].cpuPercent).toBe(50);
  });

  test('memory fit: growth per simulated day over the longest-lived worker, after warm-up', () => {
    const s = new SampleSeries(24); // a day in an hour
    for (let t = 0; t <= 3600; t += 30) s.add(t, { pid: 7, rssBytes: (150 + t / 300) * 2 ** 20, vmsBytes: 0, cpuSeconds: t }, metrics());
    const fit = memoryFit(s.samples, { accelerate: 24 });
    expect(fit.growthPer24hMb).toBeCloseTo(12, 5); // 12 MB per wall hour = per simulated day here
    expect(fit.r2).toBeCloseTo(1, 5);
    expect(fit.lastHourMinusFirstHourMb).toBeGreaterThan(8);
    expect(fit.steadyRssMb).toBeGreaterThan(160);
    const bars = { maxRssMb: 200, maxGrowthMb: 10, maxLeakScore: 0.8 };
    const truth = { symbols: 2, symbolsWithoutRecords: [], written: 1000, missing: 0, duplicated: 0, outOfOrder: 0 };
    const ok = verdict({ memory: fit, meanRate: 400, truth, leakScore: 0.1, alerts: [], bars });
    expect(ok.checks.find((c) => c.name === 'memory growth per 24 h' && c.source === 'k2')!.pass).toBe(false);
    const lossy = verdict({ memory: { ...fit, growthPer24hMb: 3 }, meanRate: 400, truth: { ...truth, missing: 1 }, leakScore: 0.1, alerts: [], bars });
    expect(lossy.pass).toBe(false);
    expect(lossy.checks.filter((c) => !c.pass).map((c) => c.name)).toEqual(['missing ids']);
    const fine = verdict({ memory: { ...fit, growthPer24hMb: 3 }, meanRate: 400, truth, leakScore: 0.1, alerts: [{ alertname: 'BinancePongTimeout', severity: 'warning', firstAt: '', lastAt: '', labels: {} }], bars });
    expect(fine.pass).toBe(true);
    expect(verdict({ memory: { ...fit, growthPer24hMb: 3 }, meanRate: 400, truth, leakScore: 0.1, alerts: undefined, bars }).pass).toBe(false);
  });
});
