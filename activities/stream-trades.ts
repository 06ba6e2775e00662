import { ApplicationFailure, Context } from '@temporalio/activity';
import { Kafka } from 'kafkajs';
import { SerializerCache } from '../lib/avro/serializer';
import { Config } from '../lib/config';
import { createFencedWriter, kafkaCompression, sessionTransactionalId } from '../lib/kafka/fenced-writer';
import { ensureTopics, sessionTopics, tradeTopicSpecs } from '../lib/kafka/topics';
import { createLogger } from '../lib/logger';
import { metrics } from '../lib/metrics';
import { Cursor, CursorResets, mergeCursors } from '../lib/pipeline/cursor';
import { registerPipeline } from '../lib/pipeline/live-pipelines';
import { buildSessionPipeline, sessionTailReader } from '../lib/pipeline/session-pipeline';
import { AbortReason, PipelineProgress, TradePipeline } from '../lib/pipeline/trade-pipeline';
import { progressSignal } from '../workflows/stream-session-api';

const log = createLogger('stream-trades');

export interface StreamTradesInput {
  symbols: string[];
  cursor?: Cursor;
  /** The cursor may be behind what Kafka holds (it came from a progress report, or a run ended without a result). */
  cursorMayLag?: boolean;
  rotation: number;
  /** Defaults to connection_max_lifetime_hours. */
  maxLifetimeMs?: number;
  /** Symbols whose cursor an operator reset: records of the old id space in the topic do not count. */
  resets?: CursorResets;
  /** No socket: catch every symbol up from REST to now, flush and return (a stop after a lost worker). */
  catchUpOnly?: boolean;
  /** Topics of the session's own instead of the worker's (a deployment's shadow session). */
  topic?: string;
  dlqTopic?: string;
}

export interface StreamTradesResult {
  cursor: Cursor;
  /** Kafka may hold records after the cursor (a send failed while stopping). */
  cursorMayLag: boolean;
  counts: Record<string, number>;
  endedBy: 'lifetime' | 'cancelled' | 'worker_shutdown' | 'caught_up';
  startedAt: string;
  firstTradeAt?: string;
  endedAt: string;
  lastError?: string;
  regressions?: PipelineProgress['regressions'];
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

/**
 * Why the server cancelled this attempt. Only a cancel the workflow asked for (rotate, pause,
 * stop) or a worker shutdown drains; any other means another attempt owns the session now.
 */
function abruptReason(ctx: Context): AbortReason | undefined {
  const d = ctx.cancellationDetails;
  if (d?.cancelRequested || d?.workerShutdown || d?.paused) return undefined;
  if (d?.timedOut) return 'attempt_timed_out';
  if (d?.reset) return 'attempt_reset';
  return 'attempt_not_found';
}

export function createStreamActivities(deps: StreamDeps) {
  const { config } = deps;

  return {
    /**
     * Holds the WebSocket-to-Kafka loop until its lifetime ends, it is cancelled, or the worker
     * stops; returns the cursor (last trade id per symbol committed to Kafka). Every attempt
     * first claims the session's transactional id, which fences any older writer, and only
     * then reads where the topic stands, so two attempts can never both write.
     */
    async streamTrades(input: StreamTradesInput): Promise<StreamTradesResult> {
      const ctx = Context.current();
      const workflowId = ctx.info.workflowExecution?.workflowId;
      if (!workflowId) throw ApplicationFailure.nonRetryable('streamTrades runs only inside a stream session workflow');
      const startedAt = new Date().toISOString();
      const previous = ctx.info.heartbeatDetails as PipelineProgress | undefined;
      let pipeline: TradePipeline | undefined;
      // Heartbeats start before any I/O: a slow start (topic creation, fencing, a long tail
      // read) must not pass for a dead worker. They carry the cursor a retry resumes from.
      const beatEvery = Math.min(1_000, (config.heartbeat_timeout_seconds * 1000) / 4);
      ctx.heartbeat(previous);
      const beat = setInterval(() => ctx.heartbeat(pipeline?.progress() ?? previous), beatEvery);

      const lifetime = new AbortController();
      const drain = new AbortController();
      let abrupt: AbortReason | undefined;
      const onCancel = () => {
        abrupt = abruptReason(ctx);
        if (abrupt) pipeline?.abort(abrupt);
        else drain.abort();
      };
      ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
      const stillOurs = () => {
        if (abrupt) throw ctx.cancellationSignal.reason;
      };

      const topics = sessionTopics(config, input);
      const compression = kafkaCompression(config.compression);
      const writer = createFencedWriter(deps.kafka, { transactionalId: sessionTransactionalId(config.kafka_transactional_id_prefix, workflowId), compression });
      let report: NodeJS.Timeout | undefined;
      let lifetimeTimer: NodeJS.Timeout | undefined;
      let unregister = () => {};
      try {
        const admin = deps.kafka.admin();
        await admin.connect();
        try {
          await ensureTopics(admin, tradeTopicSpecs(config, topics));
        } finally {
          await admin.disconnect();
        }
        stillOurs();
        await writer.open();
        stillOurs();

        const writtenUpTo = sessionTailReader(deps, topics, input.resets);
        let cursor = mergeCursors(input.cursor, previous?.cursor);
        const counts: Record<string, number> = Object.fromEntries(Object.entries(previous?.symbols ?? {}).map(([s, p]) => [s, p.count]));
        // A retry (crash, heartbeat timeout), a symbol without a cursor (a fresh session), or a
        // cursor that may lag: the topic may hold more than we know, and writing below would
        // duplicate. Read only now, after the fence: no older writer can add to it any more.
        const unknownSymbol = input.symbols.some((s) => cursor[s] === undefined);
        if (ctx.info.attempt > 1 || input.cursorMayLag || unknownSymbol || input.catchUpOnly) {
          const tail = await writtenUpTo(input.symbols);
          log.info({ event: 'stream.resume', attempt: ctx.info.attempt, cursor, tail: Object.fromEntries(tail) });
          // Ids are consecutive: what a lost attempt or run committed after its last heartbeat or
          // report is the distance to the tail, and the session's totals count it too.
          for (const [s, id] of tail) if (cursor[s] !== undefined && !input.resets?.[s] && id > cursor[s]) counts[s] = (counts[s] ?? 0) + id - cursor[s];
          cursor = mergeCursors(cursor, tail);
          stillOurs();
        }

        pipeline = await buildSessionPipeline(deps, {
          symbols: input.symbols,
          topics,
          cursor,
          counts,
          writer,
          createWriter: () => createFencedWriter(deps.kafka, { transactionalId: writer.transactionalId, compression }),
          writtenUpTo,
          resets: input.resets,
        });
        if (abrupt) pipeline.abort(abrupt);
        unregister = registerPipeline(pipeline);
        lifetimeTimer = setTimeout(() => lifetime.abort(), input.maxLifetimeMs ?? config.connection_max_lifetime_hours * 3600_000);
        report = reportProgress(ctx, workflowId, pipeline, input.rotation, config.status_report_interval_seconds * 1000);
        const signal = AbortSignal.any([drain.signal, deps.workerShutdown, lifetime.signal]);
        const final = await pipeline.run(signal, { catchUpOnly: input.catchUpOnly, drainTimeoutMs: input.catchUpOnly ? 10 * 60_000 : undefined });

        if (final.abortedBy) {
          log.warn({ event: 'stream.aborted', reason: final.abortedBy, rotation: input.rotation, attempt: ctx.info.attempt });
          // Fenced while current (a zombie's late open, a transaction timed out): a retry takes over cleanly.
          if (final.abortedBy === 'fenced' && !abrupt) throw ApplicationFailure.retryable(`run ${input.rotation} fenced: ${final.lastError ?? ''}`, 'WriterFenced');
          throw ctx.cancellationSignal.reason;
        }
        const endedBy = input.catchUpOnly ? 'caught_up' : lifetime.signal.aborted ? 'lifetime' : deps.workerShutdown.aborted ? 'worker_shutdown' : 'cancelled';
        if (endedBy === 'lifetime' || endedBy === 'cancelled') metrics.rotations.inc();
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
          regressions: Object.keys(final.regressions).length ? final.regressions : undefined,
        };
      } finally {
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
        unregister();
        clearTimeout(lifetimeTimer);
        clearInterval(beat);
        clearInterval(report);
        if (!pipeline) await writer.close();
      }
    },
  };
}

/**
 * Progress goes to the workflow every `intervalMs`, and within ~2 s of a change of state or
 * connection, so `status` says "connected" or "unreachable" promptly without a signal (and
 * history events) every few seconds.
 */
function reportProgress(ctx: Context, workflowId: string, pipeline: TradePipeline, rotation: number, intervalMs: number): NodeJS.Timeout {
  const handle = ctx.client.workflow.getHandle(workflowId);
  let lastSent = { at: 0, key: '' };
  return setInterval(() => {
    const p = pipeline.progress();
    const key = `${p.state}|${p.connectedSince ?? ''}|${p.firstTradeAt ? 1 : 0}|${Object.keys(p.regressions).join(',')}`;
    const now = Date.now();
    const due = now - lastSent.at >= intervalMs;
    if (!due && (key === lastSent.key || now - lastSent.at < 2_000)) return;
    lastSent = { at: now, key };
    handle.signal(progressSignal, p, rotation).catch((err: Error) => log.debug({ event: 'stream.progress-failed', err: err.message }));
  }, Math.min(1_000, intervalMs));
}
