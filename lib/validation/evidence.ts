import { leakScore } from '../memory/leak-score';
import { counterIncrease, firedAlerts, graphLink, PromSeries, rawSamples } from '../prometheus/prom-api';
import { scrapeWorker, WorkerScrape } from '../prometheus/worker-scrape';
import type { DayFigures, MemoryFigures } from './criteria';

// Where a day's figures come from: the Prometheus HTTP API when one is configured (every scrape
// of the window, and the alerts it evaluated), otherwise the workers' own /metrics, differenced
// between two checks.

/** The scrape job of the project's Prometheus config and alert rules. */
export const WORKER_JOB = 'k2-stream-worker';
const SELECT = `{job="${WORKER_JOB}"}`;
const MB = 1024 * 1024;

export interface Window {
  fromMs: number;
  toMs: number;
}

export type StreamFigures = Omit<DayFigures, 'completeness' | 'tradesPerSecond'>;

export interface Evidence {
  source: 'prometheus' | 'worker-metrics';
  figures: StreamFigures;
  links: { label: string; url: string }[];
  notes: string[];
  /** Worker-metrics source: what the next check differences against. */
  snapshot?: WorkerSnapshot[];
}

/** Counters the check reads, by their figure. */
const COUNTERS = {
  trades: 'k2_trades_produced_total',
  rotations: 'binance_connection_rotations_total',
  pings: 'binance_pings_sent_total',
  pongs: 'binance_pongs_received_total',
  pongTimeouts: 'binance_pong_timeouts_total',
  unrecoverableTrades: 'k2_unrecoverable_trades_total',
} as const;

/** Samples of one series from the last at or before the window's start to the last at its end. */
function inWindow(s: PromSeries, w: Window): [number, number][] {
  const fromS = w.fromMs / 1000;
  const toS = w.toMs / 1000;
  const upTo = s.values.filter(([t]) => t <= toS);
  const before = upTo.filter(([t]) => t <= fromS);
  return before.length ? upTo.slice(before.length - 1) : upTo;
}

const seriesIncrease = (series: PromSeries[], w: Window) => series.reduce((sum, s) => sum + counterIncrease(inWindow(s, w).map(([, v]) => v)), 0);

/**
 * Memory of every worker instance over the window: min and max RSS, and the growth of the worst
 * one, fitted over its samples as the leak score fits them (lib/memory/leak-score.ts).
 */
function memoryOf(series: PromSeries[], w: Window): MemoryFigures | null {
  const fromS = w.fromMs / 1000;
  const per = series.map((s) => s.values.filter(([t]) => t >= fromS && t <= w.toMs / 1000)).filter((v) => v.length > 0);
  if (per.length === 0) return null;
  const all = per.flat().map(([, v]) => v / MB);
  const growth = per.map((v) => leakScore(v.map(([t, rss]) => ({ at: t * 1000, rssBytes: rss }))).slopeMbPerHour * 24);
  return { minMb: Math.min(...all), maxMb: Math.max(...all), growthMbPerDay: Math.max(...growth), samples: all.length };
}

/** The window as Prometheus saw it. Counters go back five minutes (the staleness window) to find the sample before the window. */
export async function prometheusEvidence(url: string, w: Window, onQuery: (what: string) => void = () => {}): Promise<Evidence> {
  const lookbackS = 300;
  const fromS = w.fromMs / 1000;
  const toS = w.toMs / 1000;
  const counter = async (name: string) => {
    const series = await rawSamples(url, `${name}${SELECT}`, fromS - lookbackS, toS);
    onQuery(name);
    return series;
  };
  const counters = Object.fromEntries(
    await Promise.all(Object.entries(COUNTERS).map(async ([figure, name]) => [figure, seriesIncrease(await counter(name), w)] as const)),
  ) as Record<keyof typeof COUNTERS, number>;
  const reconnects: Record<string, number> = {};
  for (const s of await counter('binance_reconnects_total')) {
    const reason = s.metric.reason ?? '';
    reconnects[reason] = (reconnects[reason] ?? 0) + counterIncrease(inWindow(s, w).map(([, v]) => v));
  }
  const memory = memoryOf(await rawSamples(url, `process_memory_rss_bytes${SELECT}`, fromS, toS), w);
  onQuery('process_memory_rss_bytes');
  const scores = (await rawSamples(url, `memory_leak_detection_score${SELECT}`, fromS, toS)).flatMap((s) => s.values.map(([, v]) => v));
  // Every evaluation interval (the project's is 15 s), finer for a short window.
  const stepS = Math.max(1, Math.min(15, Math.floor((toS - fromS) / 100)));
  const alerts = await firedAlerts(url, w.fromMs, w.toMs, stepS, `job="${WORKER_JOB}"`);
  const link = (label: string, expr: string) => ({ label, url: graphLink(url, expr, w.fromMs, w.toMs) });
  return {
    source: 'prometheus',
    figures: { ...counters, reconnects, memory, leakScoreMax: scores.length ? Math.max(...scores) : null, alerts },
    links: [
      link('worker RSS', `process_memory_rss_bytes${SELECT}`),
      link('rotations', `increase(${COUNTERS.rotations}${SELECT}[1h])`),
      link('pings and pongs', `increase(${COUNTERS.pings}${SELECT}[1h]) or increase(${COUNTERS.pongs}${SELECT}[1h])`),
      link('trades acknowledged per second', `sum(rate(${COUNTERS.trades}${SELECT}[5m]))`),
      link('reconnects by reason', `sum by (reason) (increase(binance_reconnects_total${SELECT}[1h]))`),
      link('leak score', `memory_leak_detection_score${SELECT}`),
      link('firing alerts', `ALERTS{alertstate="firing",job="${WORKER_JOB}"}`),
    ],
    notes: memory && memory.samples < 10 ? ['fewer than 10 RSS samples: growth not fitted'] : [],
  };
}

/** What one worker's /metrics said at a check. */
export interface WorkerSnapshot {
  url: string;
  atMs: number;
  /** The worker process's start time: a new one means its counters began again at zero. */
  processStartSeconds: number;
  counters: Record<keyof typeof COUNTERS, number>;
  reconnects: Record<string, number>;
  rssBytes: number;
  leakScore: number;
}

function toSnapshot(url: string, atMs: number, m: WorkerScrape): WorkerSnapshot {
  return {
    url,
    atMs,
    processStartSeconds: m.processStartSeconds,
    counters: { trades: m.tradesProduced, rotations: m.rotations, pings: m.pings, pongs: m.pongs, pongTimeouts: m.pongTimeouts, unrecoverableTrades: m.unrecoverable },
    reconnects: m.reconnects,
    rssBytes: m.rssBytes,
    leakScore: m.leakScore,
  };
}

/** Every worker that answers now (one that does not is left out, and named in the notes). */
export async function snapshotWorkers(urls: string[], atMs = Date.now()): Promise<{ snapshots: WorkerSnapshot[]; unreachable: string[] }> {
  const scrapes = await Promise.all(urls.map(async (url) => ({ url, m: await scrapeWorker(url) })));
  return {
    snapshots: scrapes.filter((s) => s.m !== undefined).map((s) => toSnapshot(s.url, atMs, s.m!)),
    unreachable: scrapes.filter((s) => s.m === undefined).map((s) => s.url),
  };
}

/**
 * The window from two sets of snapshots: counters differenced per worker (a restarted worker
 * counts from zero, so what it did before its restart and after the last check is lost, and
 * said so), memory from the two points only, and no alerts (only Prometheus evaluates them).
 */
export function workerMetricsEvidence(before: WorkerSnapshot[], after: WorkerSnapshot[], unreachable: string[] = []): Evidence {
  const notes = ['no prometheus_url: figures differenced from the workers\' /metrics at the two checks; RSS at those two moments only; alerts not evaluated'];
  const counters = { trades: 0, rotations: 0, pings: 0, pongs: 0, pongTimeouts: 0, unrecoverableTrades: 0 };
  const reconnects: Record<string, number> = {};
  const growth: number[] = [];
  for (const now of after) {
    const was = before.find((b) => b.url === now.url && b.processStartSeconds === now.processStartSeconds);
    if (!was) notes.push(`${now.url}: a new worker process since the last check; counted from its start`);
    const delta = (a: number | undefined, b: number) => counterIncrease([a ?? 0, b]);
    for (const k of Object.keys(counters) as (keyof typeof counters)[]) counters[k] += delta(was?.counters[k], now.counters[k]);
    for (const [reason, n] of Object.entries(now.reconnects)) reconnects[reason] = (reconnects[reason] ?? 0) + delta(was?.reconnects[reason], n);
    if (was && now.atMs > was.atMs) growth.push(((now.rssBytes - was.rssBytes) / MB / ((now.atMs - was.atMs) / 3_600_000)) * 24);
  }
  for (const url of unreachable) notes.push(`${url}: unreachable at this check`);
  const rss = [...before, ...after].filter((s) => after.some((a) => a.url === s.url)).map((s) => s.rssBytes / MB);
  const memory: MemoryFigures | null = rss.length ? { minMb: Math.min(...rss), maxMb: Math.max(...rss), growthMbPerDay: growth.length ? Math.max(...growth) : 0, samples: rss.length } : null;
  return {
    source: 'worker-metrics',
    figures: { ...counters, reconnects, memory, leakScoreMax: after.length ? Math.max(...after.map((s) => s.leakScore)) : null, alerts: null },
    links: after.map((s) => ({ label: `worker /metrics`, url: s.url })),
    notes,
    snapshot: after,
  };
}
