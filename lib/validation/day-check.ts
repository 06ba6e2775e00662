import { Kafka } from 'kafkajs';
import { auditTopic } from '../audit/topic-audit';
import { tradeKeyDecoder } from '../avro/serializer';
import { Config } from '../config';
import { Completeness, dayPasses, DayFigures, evaluateDay, expectedCounts, SettingsInForce } from './criteria';
import type { DayCheck, DayCheckInput } from './day-result';
import { Evidence, prometheusEvidence, snapshotWorkers, WorkerSnapshot, workerMetricsEvidence } from './evidence';

// One day of a production validation: the figures of the window (Prometheus, or the workers'
// /metrics), the day's records audited for holes and duplicates, the criteria, and the verdict.

export type ValidationSettings = Pick<Config, 'prometheus_url' | 'worker_metrics_urls' | 'metrics_host' | 'metrics_port' | 'kafka_topic' | 'connection_max_lifetime_hours' | 'ping_interval_seconds'>;

/** The workers a check reads without Prometheus: worker_metrics_urls, or this host's worker. */
export function workerMetricsUrls(c: ValidationSettings): string[] {
  return c.worker_metrics_urls ?? [`http://${c.metrics_host === '0.0.0.0' ? '127.0.0.1' : c.metrics_host}:${c.metrics_port}/metrics`];
}

export function settingsInForce(c: ValidationSettings): SettingsInForce {
  return { connection_max_lifetime_hours: c.connection_max_lifetime_hours, ping_interval_seconds: c.ping_interval_seconds };
}

/** What the first check differences against when there is no Prometheus (null when there is). */
export async function validationBaseline(c: ValidationSettings): Promise<WorkerSnapshot[] | null> {
  if (c.prometheus_url) return null;
  return (await snapshotWorkers(workerMetricsUrls(c))).snapshots;
}

/**
 * `k2 audit` over the records written since the window began: per symbol the ids held, the
 * holes between the first and the last (and since yesterday's last), and ids written twice.
 */
export async function auditDay(
  kafka: Kafka,
  topic: string,
  sinceMs: number,
  previousLastIds: Record<string, number> = {},
  onProgress?: (read: number, total: number) => void,
): Promise<Completeness> {
  const audit = await auditTopic(kafka, topic, tradeKeyDecoder(), { sinceMs, onProgress });
  const out: Completeness = { topic, records: 0, missing: 0, duplicated: 0, symbols: {}, holes: [] };
  for (const [symbol, a] of audit) {
    const prev = previousLastIds[symbol];
    const acrossMidnight = prev !== undefined && a.firstId > prev + 1 ? a.firstId - prev - 1 : 0;
    const holes = [...(acrossMidnight ? [[prev + 1, a.firstId - 1] as [number, number]] : []), ...a.missing];
    out.symbols[symbol] = { records: a.count, firstId: a.firstId, lastId: a.lastId, missing: a.missingCount + acrossMidnight, duplicated: a.duplicates };
    out.records += a.count;
    out.missing += a.missingCount + acrossMidnight;
    out.duplicated += a.duplicates;
    for (const [from, to] of holes) if (out.holes.length < 10) out.holes.push({ symbol, from, to });
  }
  return out;
}

export interface DayCheckDeps {
  config: ValidationSettings;
  kafka: Kafka;
  /** Called while the audit reads (the activity heartbeats from it). */
  onProgress?(what: string): void;
}

export async function checkDay(deps: DayCheckDeps, i: DayCheckInput): Promise<DayCheck> {
  const { config } = deps;
  const window = { fromMs: i.fromMs, toMs: i.toMs };
  const windowSeconds = (i.toMs - i.fromMs) / 1000;
  let evidence: Evidence;
  if (config.prometheus_url) {
    // A day of samples takes a while to read: each query is a heartbeat.
    evidence = await prometheusEvidence(config.prometheus_url, window, (what) => deps.onProgress?.(`prometheus ${what}`));
  } else {
    const now = await snapshotWorkers(workerMetricsUrls(config));
    evidence = workerMetricsEvidence(i.baseline ?? [], now.snapshots, now.unreachable);
  }
  deps.onProgress?.('audit');
  const completeness = await auditDay(deps.kafka, config.kafka_topic, i.fromMs, i.previousLastIds, (read, total) => deps.onProgress?.(`audit ${read}/${total}`));
  const figures: DayFigures = { ...evidence.figures, tradesPerSecond: windowSeconds > 0 ? evidence.figures.trades / windowSeconds : 0, completeness };
  const settings = settingsInForce(config);
  const expected = expectedCounts(settings, windowSeconds);
  const criteria = evaluateDay(figures, expected, i.bars);
  return {
    day: i.day,
    from: new Date(i.fromMs).toISOString(),
    to: new Date(i.toMs).toISOString(),
    windowHours: Math.round((windowSeconds / 3600) * 1000) / 1000,
    source: evidence.source,
    settings,
    expected,
    figures,
    criteria,
    pass: dayPasses(criteria),
    links: evidence.links,
    notes: [...evidence.notes, `records audited: k2 audit --topic ${config.kafka_topic} (written since ${new Date(i.fromMs).toISOString()})`],
    ...(evidence.snapshot ? { snapshot: evidence.snapshot } : {}),
  };
}
