import { Context } from '@temporalio/activity';
import { Kafka } from 'kafkajs';
import { SerializerCache, tradeKeyDecoder } from '../lib/avro/serializer';
import { BinanceRestClient } from '../lib/binance/rest-client';
import { Config } from '../lib/config';
import { ensureTopics } from '../lib/kafka/topics';
import { readTopicTail } from '../lib/kafka/topic-tail';
import { createLogger } from '../lib/logger';
import { metrics } from '../lib/metrics';
import { Cursor, mergeCursors } from '../lib/pipeline/cursor';
import { registerPipeline } from '../lib/pipeline/live-pipelines';
import { PipelineProgress, TradePipeline } from '../lib/pipeline/trade-pipeline';
import { progressSignal } from '../workflows/stream-session-api';

const log = createLogger('stream-trades');

export interface StreamTradesInput {
  symbols: string[];
  cursor?: Cursor;
  /** The cursor may be behind what Kafka holds (it came from a progress report). */
  cursorMayLag?: boolean;
  rotation: number;
  /** Defaults to connection_max_lifetime_hours. */
  maxLifetimeMs?: number;
}

export interface StreamTradesResult {
  cursor: Cursor;
  /** Kafka may hold records after the cursor (a send failed while stopping). */
  cursorMayLag: boolean;
  counts: Record<string, number>;
  endedBy: 'lifetime' | 'cancelled' | 'worker_shutdown';
  startedAt: string;
  firstTradeAt?: string;
  endedAt: string;
  lastError?: string;
}

export interface StreamDeps {
  config: Config;
  kafka: Kafka;
  serializers: SerializerCache;
  /** Fires when the worker is asked to stop: the run flushes and hands back its cursor. */
  workerShutdown: AbortSignal;
  /** Custom CA bundle contents (custom_ca_bundle), read once at worker start. */
  caBundle?: string;
}

/** Highest trade id per symbol in the topic, decoded from its tail. */
function topicTailReader(deps: StreamDeps) {
  const decode = tradeKeyDecoder();
  return (symbols: string[]) => readTopicTail(deps.kafka, deps.config.kafka_topic, symbols, decode);
}

export function createStreamActivities(deps: StreamDeps) {
  const { config } = deps;
  const writtenUpTo = topicTailReader(deps);

  return {
    /**
     * Holds the WebSocket-to-Kafka loop until its lifetime ends, it is cancelled, or the worker
     * stops; returns the cursor (last trade id per symbol acknowledged by Kafka). A retried
     * attempt resumes from its last heartbeat and the topic's tail.
     */
    async streamTrades(input: StreamTradesInput): Promise<StreamTradesResult> {
      const ctx = Context.current();
      const startedAt = new Date().toISOString();
      const fromHeartbeat = ctx.info.heartbeatDetails as PipelineProgress | undefined;
      ctx.heartbeat(fromHeartbeat);

      const admin = deps.kafka.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, [
          { topic: config.kafka_topic, partitions: config.kafka_partitions, replicationFactor: config.kafka_replication_factor },
          { topic: config.kafka_dlq_topic, partitions: 1, replicationFactor: config.kafka_replication_factor },
        ]);
      } finally {
        await admin.disconnect();
      }

      let cursor = mergeCursors(input.cursor, fromHeartbeat?.cursor);
      // A retry (crash, heartbeat timeout), a symbol without a cursor (a fresh session), or a
      // cursor from a progress report:
      // the topic's tail may be ahead of what we know, and writing below it would duplicate.
      const unknownSymbol = input.symbols.some((s) => cursor[s] === undefined);
      if (ctx.info.attempt > 1 || input.cursorMayLag || unknownSymbol) {
        const tail = await writtenUpTo(input.symbols);
        log.info({ event: 'stream.resume', attempt: ctx.info.attempt, cursor, tail: Object.fromEntries(tail) });
        cursor = mergeCursors(cursor, tail);
      }

      const pipeline = new TradePipeline({
        symbols: input.symbols,
        cursor,
        kafka: deps.kafka,
        topic: config.kafka_topic,
        dlqTopic: config.kafka_dlq_topic,
        serializer: await deps.serializers.get(`${config.kafka_topic}-value`),
        socket: {
          urls: config.binance_ws_urls,
          pingIntervalMs: config.ping_interval_seconds * 1000,
          pingTimeoutMs: config.ping_timeout_seconds * 1000,
          silenceTimeoutMs: config.health_check_timeout * 1000,
          maxPayload: config.max_payload_bytes,
          backoff: { initialMs: config.reconnect_backoff_initial_ms, maxMs: config.reconnect_backoff_max_ms },
          tls: { verify: config.ssl_verify, ca: deps.caBundle },
        },
        rest: new BinanceRestClient({
          baseUrls: config.binance_rest_urls,
          weightBudgetPerMinute: config.rest_weight_budget_per_minute,
          tls: { verify: config.ssl_verify, ca: deps.caBundle },
        }),
        bufferMaxRecords: config.buffer_max_records,
        maxBackfillTrades: config.backfill_max_trades,
        writtenUpTo,
      });

      const lifetime = new AbortController();
      const lifetimeTimer = setTimeout(() => lifetime.abort(), input.maxLifetimeMs ?? config.connection_max_lifetime_hours * 3600_000);
      const signal = AbortSignal.any([ctx.cancellationSignal, deps.workerShutdown, lifetime.signal]);
      // Heartbeats carry the cursor (a retry resumes from it) and bring cancellation news.
      const beat = setInterval(() => ctx.heartbeat(pipeline.progress()), Math.min(1_000, (config.heartbeat_timeout_seconds * 1000) / 4));
      const workflowId = ctx.info.workflowExecution?.workflowId;
      // Progress goes to the workflow every status_report_interval_seconds, and within ~2 s of a
      // change of state or connection, so `status` says "connected" or "unreachable" promptly
      // without a signal (and history events) every few seconds.
      let lastSent = { at: 0, key: '' };
      const report = setInterval(() => {
        if (!workflowId) return;
        const p = pipeline.progress();
        const key = `${p.state}|${p.connectedSince ?? ''}|${p.firstTradeAt ? 1 : 0}`;
        const now = Date.now();
        const due = now - lastSent.at >= config.status_report_interval_seconds * 1000;
        if (!due && (key === lastSent.key || now - lastSent.at < 2_000)) return;
        lastSent = { at: now, key };
        ctx.client.workflow
          .getHandle(workflowId)
          .signal(progressSignal, p, input.rotation)
          .catch((err: Error) => log.debug({ event: 'stream.progress-failed', err: err.message }));
      }, Math.min(1_000, config.status_report_interval_seconds * 1000));

      const unregister = registerPipeline(pipeline);
      let final: PipelineProgress;
      try {
        final = await pipeline.run(signal);
      } finally {
        unregister();
        clearTimeout(lifetimeTimer);
        clearInterval(beat);
        clearInterval(report);
      }
      const endedBy = lifetime.signal.aborted ? 'lifetime' : deps.workerShutdown.aborted ? 'worker_shutdown' : 'cancelled';
      if (endedBy !== 'worker_shutdown') metrics.rotations.inc();
      log.info({ event: 'stream.ended', endedBy, cursor: final.cursor, rotation: input.rotation });
      return {
        cursor: final.cursor,
        cursorMayLag: final.cursorMayLag,
        counts: Object.fromEntries(Object.entries(final.symbols).map(([s, p]) => [s, p.count])),
        endedBy,
        startedAt,
        firstTradeAt: final.firstTradeAt ? new Date(final.firstTradeAt).toISOString() : undefined,
        endedAt: new Date().toISOString(),
        lastError: final.lastError,
      };
    },
  };
}
