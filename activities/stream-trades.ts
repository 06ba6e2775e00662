import { ApplicationFailure, Context } from '@temporalio/activity';
import { Kafka } from 'kafkajs';
import { SerializerCache } from '../lib/avro/serializer';
import { Config } from '../lib/config';
import { createLogger } from '../lib/logger';
import { Cursor, CursorResets } from '../lib/pipeline/cursor';
import { registerPipeline } from '../lib/pipeline/live-pipelines';
import { AbortReason, PipelineProgress } from '../lib/pipeline/pipeline-progress';
import { progressReport } from '../lib/pipeline/progress-report';
import { openSessionPipeline, RunEnd, runSessionPipeline } from '../lib/pipeline/session-pipeline';
import { TradePipeline } from '../lib/pipeline/trade-pipeline';
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
  endedBy: RunEnd;
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
     * stops; returns the cursor (last trade id per symbol committed to Kafka). The pipeline and
     * its start-up order are lib/pipeline/session-pipeline.ts'; this adapts them to Temporal:
     * heartbeats carry the cursor a retry resumes from, a cancel drains or abandons the run,
     * progress goes to the workflow as signals, failures become retryable or not.
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

      const drain = new AbortController();
      const lost = new AbortController();
      let abrupt: AbortReason | undefined;
      const onCancel = () => {
        abrupt = abruptReason(ctx);
        if (abrupt) {
          lost.abort(ctx.cancellationSignal.reason);
          pipeline?.abort(abrupt);
        } else {
          drain.abort();
        }
      };
      ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });

      let report: NodeJS.Timeout | undefined;
      let unregister = () => {};
      try {
        pipeline = await openSessionPipeline(
          deps,
          {
            workflowId,
            attempt: ctx.info.attempt,
            symbols: input.symbols,
            cursor: input.cursor,
            previous,
            mayLag: ctx.info.attempt > 1 || !!input.cursorMayLag || !!input.catchUpOnly,
            resets: input.resets,
            topic: input.topic,
            dlqTopic: input.dlqTopic,
          },
          lost.signal,
        );
        // Lost while the pipeline was being built: it stops at once when run.
        if (abrupt) pipeline.abort(abrupt);
        unregister = registerPipeline(pipeline);
        report = reportProgress(ctx, workflowId, pipeline, input.rotation, config.status_report_interval_seconds * 1000);
        const { final, endedBy } = await runSessionPipeline(pipeline, {
          lifetimeMs: input.maxLifetimeMs ?? config.connection_max_lifetime_hours * 3600_000,
          drain: drain.signal,
          workerShutdown: deps.workerShutdown,
          catchUpOnly: input.catchUpOnly,
        });

        if (final.abortedBy) {
          log.warn({ event: 'stream.aborted', reason: final.abortedBy, rotation: input.rotation, attempt: ctx.info.attempt });
          // Fenced while current (a zombie's late open, a transaction timed out): a retry takes over cleanly.
          if (final.abortedBy === 'fenced' && !abrupt) throw ApplicationFailure.retryable(`run ${input.rotation} fenced: ${final.lastError ?? ''}`, 'WriterFenced');
          throw ctx.cancellationSignal.reason;
        }
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
        clearInterval(beat);
        clearInterval(report);
      }
    },
  };
}

/**
 * Progress goes to the workflow every `intervalMs`, and within ~2 s of a change of state or
 * connection, so `status` says "connected" or "unreachable" promptly without a signal (and
 * history events) every few seconds. Each report is bounded (a few symbols by name, the rest
 * summed up), as each is an event in the session's history; heartbeats carry every symbol.
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
    handle.signal(progressSignal, progressReport(p), rotation).catch((err: Error) => log.debug({ event: 'stream.progress-failed', err: err.message }));
  }, Math.min(1_000, intervalMs));
}
