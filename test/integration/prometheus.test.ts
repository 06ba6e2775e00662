import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MemoryMonitor } from '../../lib/memory/memory-monitor';
import { collectProcessMetrics } from '../../lib/metrics';
import { projectRoot } from '../../lib/paths';
import { stopRecorded } from '../../ops/infra/process-control';
import { installPrometheus, promtoolBinary, rulesWithShortFor, startPrometheus, writeScrapeConfig } from '../../ops/infra/prometheus';
import { freePort } from '../../ops/infra/readiness';
import { startMetricsServer } from '../../workers/metrics-server';
import { startWorkerReadiness, WorkerReadiness } from '../../workers/worker-readiness';
import { eventually } from '../helpers/metrics';
import { StreamEnv, streamEnv } from '../helpers/stream-env';

const run = promisify(execFile);
const prom = (...p: string[]) => join(projectRoot, 'ops', 'prometheus', ...p);

beforeAll(() => installPrometheus(), 120_000);

describe('alert rules under promtool', () => {
  test('check rules and check config pass', async () => {
    const rules = await run(promtoolBinary, ['check', 'rules', prom('rules', 'critical_alerts.yml')]);
    expect(rules.stdout).toMatch(/SUCCESS: 9 rules found/);
    await run(promtoolBinary, ['check', 'config', prom('prometheus.yml')]);
  });

  test('test rules: every alert fires on its series and stays quiet otherwise', async () => {
    // A failing rule test exits 1, which rejects here and fails the test with promtool's output.
    const res = await run(promtoolBinary, ['test', 'rules', prom('tests', 'critical_alerts_test.yml')]);
    expect(`${res.stdout}${res.stderr}`).toMatch(/SUCCESS/);
  });

  test('a broken rule is caught by promtool', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k2-rules-'));
    const broken = readFileSync(prom('rules', 'critical_alerts.yml'), 'utf8').replace('> 400 * 1024 * 1024', '> > 400');
    writeFileSync(join(dir, 'broken.yml'), broken);
    await expect(run(promtoolBinary, ['check', 'rules', join(dir, 'broken.yml')])).rejects.toMatchObject({ code: 1 });
  });
});

describe('a real Prometheus scraping a streaming worker', () => {
  let env: StreamEnv;
  let metricsServer: Server;
  let readiness: WorkerReadiness;
  let url: string;
  let workerUrl: string;

  beforeAll(async () => {
    env = await streamEnv({
      simulator: { symbols: [{ symbol: 'BTCUSDT', rate: 50 }, { symbol: 'ETHUSDT', rate: 50 }] },
      settings: { ping_interval_seconds: 1, ping_timeout_seconds: 1 },
    });
    collectProcessMetrics();
    new MemoryMonitor(1_000, 120).sample();
    readiness = startWorkerReadiness(env.worker!, env.config, { intervalMs: 1_000, timeoutMs: 3_000 });
    metricsServer = await startMetricsServer('127.0.0.1', 0, () => readiness.status());
    const workerPort = (metricsServer.address() as AddressInfo).port;
    workerUrl = `http://127.0.0.1:${workerPort}`;
    const dir = mkdtempSync(join(tmpdir(), 'k2-prom-'));
    writeFileSync(join(dir, 'rules.yml'), rulesWithShortFor(readFileSync(prom('rules', 'critical_alerts.yml'), 'utf8'), '1s'));
    writeScrapeConfig(join(dir, 'prometheus.yml'), { workerTarget: `127.0.0.1:${workerPort}`, rulesFile: 'rules.yml', intervalSeconds: 1 });
    const port = await freePort();
    await startPrometheus({ host: '127.0.0.1', port, configFile: join(dir, 'prometheus.yml'), dataDir: join(dir, 'data') }, 'prometheus-e2e');
    url = `http://127.0.0.1:${port}`;
    await env.start();
  }, 120_000);

  afterAll(async () => {
    await stopRecorded('prometheus-e2e');
    readiness?.stop();
    metricsServer?.close();
    await env?.teardown();
  });

  const api = async <T>(path: string): Promise<T> => ((await (await fetch(`${url}${path}`)).json()) as { data: T }).data;

  test('finds every metric name ARCHITECTURE.md fixes', async () => {
    const fixed = [
      'binance_connection_rotations_total',
      'binance_connection_lifetime_seconds',
      'binance_last_pong_timestamp_seconds',
      'binance_pong_timeouts_total',
      'binance_reconnects_total',
      'process_memory_rss_bytes',
      'process_memory_vms_bytes',
      'memory_leak_detection_score',
      'serializer_cache_size',
      'serializer_cache_evictions_total',
    ];
    await eventually(async () => {
      const names = await api<string[]>('/api/v1/label/__name__/values');
      return fixed.every((n) => names.includes(n)) && names.includes('k2_trades_produced_total');
    }, 30_000, 'the fixed metric names in Prometheus');
    const rss = await api<{ result: { value: [number, string] }[] }>('/api/v1/query?query=process_memory_rss_bytes');
    expect(Number(rss.result[0].value[1])).toBeGreaterThan(10 * 1024 * 1024);
  });

  test('/readyz says the worker streams, and k2_streams_active counts its session', async () => {
    await eventually(async () => {
      const res = await fetch(`${workerUrl}/readyz`);
      return res.status === 200 && (await res.text()) === 'ready (streaming 1 session)\n';
    }, 30_000, '/readyz saying it streams 1 session');
    await eventually(async () => {
      const { result } = await api<{ result: { value: [number, string] }[] }>('/api/v1/query?query=k2_streams_active');
      return result.length === 1 && result[0].value[1] === '1';
    }, 30_000, 'k2_streams_active 1 in Prometheus');
  });

  test('BinancePongTimeout fires when the exchange stops answering pings', async () => {
    env.sim.inject({ type: 'no-pong', ms: 4_000 });
    await eventually(async () => {
      const { alerts } = await api<{ alerts: { labels: { alertname: string }; state: string }[] }>('/api/v1/alerts');
      return alerts.some((a) => a.labels.alertname === 'BinancePongTimeout' && a.state === 'firing');
    }, 45_000, 'BinancePongTimeout firing');
    const rules = await api<{ groups: { rules: { name: string; health: string }[] }[] }>('/api/v1/rules');
    expect(rules.groups[0].rules.every((r) => r.health === 'ok')).toBe(true);
  });
});
