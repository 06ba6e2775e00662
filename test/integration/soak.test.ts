import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CHAOS_KINDS } from '../../soak/chaos';

// A short accelerated soak, chaos on, through the real command: `k2 soak` starts the simulator
// and a worker process, runs a session on names of its own, kills and disturbs it, then checks
// the topic against ground truth. Three simulated hours at ×120: ninety seconds of wall time.

const run = promisify(execFile);
const k2 = join(__dirname, '../../bin/k2.js');

interface Report {
  partial: boolean;
  samples: { rssMb: number | null; heapUsedMb: number | null; ackedPerSecond: number; totals: { rotations: number; pings: number } }[];
  chaos: { kind: string; outcome: string }[];
  workerRestarts: number;
  groundTruth: { symbols: number; symbolsWithoutRecords: string[]; written: number; missing: number; duplicated: number; outOfOrder: number };
  alerts: { alertname: string; severity: string }[];
  memory: { samples: number; steadyRssMb: number };
  verdict: { pass: boolean; checks: { name: string; pass: boolean }[] };
}

test('k2 soak --accelerate --chaos: every id exactly once through kills, stalls, lost pongs, serverShutdown and a Kafka restart', async () => {
  const out = mkdtempSync(join(tmpdir(), 'k2-soak-'));
  const args = [k2, 'soak', '--duration', '3h', '--accelerate', '120', '--symbols', '10', '--rate', '20', '--rotate-every', '30m'];
  args.push('--chaos', '--chaos-every', '14s', '--seed', '3', '--sample-every', '2s', '--report-every', '20s', '--out', out);
  // The memory bars are for a day-long soak; ninety seconds of a fresh worker prove nothing about them.
  args.push('--max-rss-mb', '2000', '--max-growth-mb', '1000000', '--max-leak-score', '1.01');
  const env = { ...process.env, HEARTBEAT_TIMEOUT_SECONDS: '5', HEALTH_CHECK_TIMEOUT: '3', MEMORY_SAMPLE_INTERVAL_SECONDS: '1', LOG_LEVEL: 'error' };
  const { stdout } = await run(process.execPath, args, { env, maxBuffer: 64 * 1024 * 1024 });
  expect(stdout).toMatch(/\[soak\] verdict: PASS/);

  const report = JSON.parse(readFileSync(join(out, 'binance_soak_memory_profile.json'), 'utf8')) as Report;
  expect(report.partial).toBe(false);
  expect(report.groundTruth).toEqual(expect.objectContaining({ symbols: 10, symbolsWithoutRecords: [], missing: 0, duplicated: 0, outOfOrder: 0 }));
  expect(report.groundTruth.written).toBeGreaterThan(10_000);
  // Every kind of fault happened, and the killed worker was replaced.
  expect(new Set(report.chaos.map((c) => c.kind))).toEqual(new Set(CHAOS_KINDS));
  expect(report.chaos.filter((c) => c.outcome.startsWith('failed'))).toEqual([]);
  expect(report.workerRestarts).toBeGreaterThanOrEqual(1);
  // Samples of the worker process: memory, heap and a stream that rotated and pinged.
  expect(report.samples.length).toBeGreaterThan(30);
  expect(report.samples.filter((s) => s.rssMb !== null && s.rssMb > 50).length).toBeGreaterThan(30);
  expect(report.samples.some((s) => (s.heapUsedMb ?? 0) > 10)).toBe(true);
  const last = report.samples[report.samples.length - 1];
  expect(last.totals.rotations).toBeGreaterThanOrEqual(4);
  expect(last.totals.pings).toBeGreaterThan(20);
  expect(report.memory.samples).toBeGreaterThan(10);
  // The alert rules were evaluated by a real Prometheus (an array, even if empty), and no critical one fired.
  expect(Array.isArray(report.alerts)).toBe(true);
  expect(report.alerts.filter((a) => a.severity === 'critical')).toEqual([]);
  expect(report.verdict.pass).toBe(true);

  const svg = readFileSync(join(out, 'binance_soak_memory_profile.svg'), 'utf8');
  expect(svg).toMatch(/^<svg /);
  for (const name of ['RSS', 'V8 heap used', 'RSS linear fit', 'acked/s']) expect(svg).toContain(`>${name}</text>`);
  // The RSS line has a point per sample.
  const rssPath = /<path d="([^"]+)"/.exec(svg)![1];
  expect(rssPath.split('L').length).toBeGreaterThan(30);
}, 300_000);
