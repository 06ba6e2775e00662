import { Kafka } from 'kafkajs';
import { tradeKeyDecoder } from '../avro/serializer';
import { Config } from '../config';
import { partitionRangesSince, PartitionRange, readPartitionRanges } from '../kafka/partition-reader';
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

/** Offsets of the records written in [fromMs, toMs) (by record time), per partition. */
async function rangesBetween(kafka: Kafka, topic: string, fromMs: number, toMs: number): Promise<PartitionRange[]> {
  const ranges = await partitionRangesSince(kafka, topic, fromMs);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsetsByTimestamp(topic, toMs)).map((p) => [p.partition, Number(p.offset)]));
    return ranges.map((r) => ({ ...r, last: Math.min(r.last, (ends.get(r.partition) ?? r.last + 1) - 1) }));
  } finally {
    await admin.disconnect();
  }
}

/**
 * `k2 audit` over the day's records, in constant memory: the check runs on a stream worker, whose
 * heap is bounded (worker_heap_mb), and a day can hold millions of records. k2 writes each
 * symbol's records in id order to one partition, so a record is the next id, comes after a hole,
 * or is at or below the last id — a duplicate (or out of order, which k2 never writes: counted
 * with the duplicates, so the day fails either way). Yesterday's last ids carry the check across
 * midnight.
 */
export async function auditDay(
  kafka: Kafka,
  topic: string,
  window: { fromMs: number; toMs: number },
  previousLastIds: Record<string, number> = {},
  onProgress?: (read: number, total: number) => void,
): Promise<Completeness> {
  const ranges = await rangesBetween(kafka, topic, window.fromMs, window.toMs);
  const total = ranges.reduce((n, r) => n + Math.max(0, r.last - r.from + 1), 0);
  const decode = tradeKeyDecoder();
  const out: Completeness = { topic, records: 0, missing: 0, duplicated: 0, symbols: {}, holes: [] };
  const last = new Map(Object.entries(previousLastIds));
  let read = 0;
  await readPartitionRanges(
    kafka,
    topic,
    ranges,
    (_partition, _offset, value) => {
      read++;
      const rec = value ? decode(value) : undefined;
      if (!rec) return;
      const s = (out.symbols[rec.symbol] ??= { records: 0, firstId: rec.id, lastId: rec.id, missing: 0, duplicated: 0 });
      s.records++;
      out.records++;
      const prev = last.get(rec.symbol);
      if (prev !== undefined && rec.id <= prev) {
        s.duplicated++;
        out.duplicated++;
        return;
      }
      if (prev !== undefined && rec.id > prev + 1) {
        s.missing += rec.id - prev - 1;
        out.missing += rec.id - prev - 1;
        if (out.holes.length < 10) out.holes.push({ symbol: rec.symbol, from: prev + 1, to: rec.id - 1 });
      }
      last.set(rec.symbol, rec.id);
      s.lastId = rec.id;
    },
    { timeoutMs: 30 * 60_000, onBatch: () => onProgress?.(read, total), purpose: 'validation-audit' },
  );
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
  const completeness = await auditDay(deps.kafka, config.kafka_topic, window, i.previousLastIds, (read, total) => deps.onProgress?.(`audit ${read}/${total}`));
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
    notes: [...evidence.notes, `records audited: those of ${config.kafka_topic} written in the window (k2 audit --topic ${config.kafka_topic} --since reads the same)`],
    ...(evidence.snapshot ? { snapshot: evidence.snapshot } : {}),
  };
}
