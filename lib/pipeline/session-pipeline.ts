import { Kafka } from 'kafkajs';
import { SerializerCache, tradeKeyDecoder } from '../avro/serializer';
import { BinanceRestClient } from '../binance/rest-client';
import { Config } from '../config';
import { createFencedWriter, FencedWriter, kafkaCompression, sessionTransactionalId } from '../kafka/fenced-writer';
import { ensureTopics, SessionTopics, sessionTopics, tradeTopicSpecs } from '../kafka/topics';
import { readTopicTail } from '../kafka/topic-tail';
import { createLogger } from '../logger';
import { metrics } from '../metrics';
import { labelSessionSymbols } from '../symbol-metrics';
import { Cursor, CursorResets, mergeCursors } from './cursor';
import { PipelineProgress } from './pipeline-progress';
import { TradePipeline } from './trade-pipeline';

const log = createLogger('session-pipeline');

/**
 * Symbols the topic holds nothing of (a new session, a listing that joined) start where the
 * exchange stands now: their cursor becomes the exchange's last trade id (ticker/24hr), as if
 * written. Without it, such a symbol starts at its first live trade, and a trade made while no
 * connection was open (a worker died before the symbol's first trade was written) would have no
 * position to be backfilled from. The anchor travels in the cursor (heartbeats, results), so a
 * retried attempt fills from it. A symbol an operator reset to its next live trade is left alone;
 * if the ticker does not answer, nothing is anchored (the old behaviour).
 */
async function anchorUnwritten(rest: BinanceRestClient, symbols: string[], cursor: Cursor, resets: CursorResets): Promise<Cursor> {
  const unwritten = symbols.filter((s) => cursor[s] === undefined && !resets[s]);
  if (unwritten.length === 0) return cursor;
  try {
    const latest = await rest.latestTradeIds(AbortSignal.timeout(10_000));
    const anchored: Cursor = {};
    for (const s of unwritten) {
      const id = latest.get(s);
      if (id !== undefined && id >= 0) anchored[s] = id;
    }
    log.info({ event: 'pipeline.anchored', symbols: Object.keys(anchored).length, of: unwritten.length });
    return { ...cursor, ...anchored };
  } catch (err) {
    log.warn({ event: 'pipeline.anchor-failed', err: (err as Error).message, symbols: unwritten.length });
    return cursor;
  }
}

export interface SessionPipelineDeps {
  config: Config;
  kafka: Kafka;
  serializers: SerializerCache;
  caBundle?: string;
}

const EXCHANGE = 'BINANCE';

/**
 * Last trade id per symbol in the session's topic. Only TradeV2 records of this exchange written
 * with this worker's schema count (a stray record of another producer never moves a cursor),
 * and for symbols an operator reset, records of the old id space do not.
 */
export function sessionTailReader(deps: SessionPipelineDeps, topics: SessionTopics, resets: CursorResets = {}) {
  const { config } = deps;
  return async (symbols: string[]): Promise<Map<string, number>> => {
    const serializer = await deps.serializers.get(`${topics.trades}-value`);
    const decode = tradeKeyDecoder(serializer.type, { header: serializer.header, exchange: EXCHANGE });
    const tail = await readTopicTail(deps.kafka, topics.trades, symbols, decode);
    for (const [symbol, r] of Object.entries(resets)) {
      const id = tail.get(symbol);
      if (id !== undefined && r.from !== null && id >= r.from - config.id_regression_threshold) tail.delete(symbol);
    }
    return tail;
  };
}

/** The stream's pipeline as the worker's settings describe it. */
async function buildSessionPipeline(
  deps: SessionPipelineDeps,
  o: {
    symbols: string[];
    topics: SessionTopics;
    cursor: Cursor;
    counts?: Record<string, number>;
    writer: FencedWriter;
    createWriter(): FencedWriter;
    writtenUpTo(symbols: string[]): Promise<Map<string, number>>;
    /** Operator resets in force: a symbol reset to its next live trade is not anchored. */
    resets?: CursorResets;
  },
): Promise<TradePipeline> {
  const { config } = deps;
  const tls = { verify: config.ssl_verify, ca: deps.caBundle };
  const { topics, resets, ...rest } = o;
  // The session's name is its writer's: `<prefix>:<workflow id>`.
  labelSessionSymbols(o.writer.transactionalId.slice(config.kafka_transactional_id_prefix.length + 1), o.symbols, config.metrics_symbol_labels_max);
  const restClient = new BinanceRestClient({
    baseUrls: config.binance_rest_urls,
    weightBudgetPerMinute: config.rest_weight_budget_per_minute,
    serverWeightLimit: config.rest_weight_limit_per_minute,
    tls,
  });
  return new TradePipeline({
    ...rest,
    topic: topics.trades,
    dlqTopic: topics.dlq,
    serializer: await deps.serializers.get(`${topics.trades}-value`),
    socket: {
      urls: config.binance_ws_urls,
      pingIntervalMs: config.ping_interval_seconds * 1000,
      pingTimeoutMs: config.ping_timeout_seconds * 1000,
      silenceTimeoutMs: config.health_check_timeout * 1000,
      maxPayload: config.max_payload_bytes,
      backoff: { initialMs: config.reconnect_backoff_initial_ms, maxMs: config.reconnect_backoff_max_ms },
      tls,
    },
    cursor: await anchorUnwritten(restClient, o.symbols, o.cursor, resets ?? {}),
    rest: restClient,
    bufferMaxRecords: config.buffer_max_records,
    lingerMs: config.kafka_linger_ms,
    maxBackfillTrades: config.backfill_max_trades,
    regressionThreshold: config.id_regression_threshold,
  });
}

export interface SessionAttempt {
  /** The session's workflow id: its writer's transactional id. */
  workflowId: string;
  /** For the logs: which attempt of the run this is. */
  attempt?: number;
  symbols: string[];
  cursor?: Cursor;
  /** What the previous attempt of this run last reported (its heartbeat): a cursor and counts. */
  previous?: PipelineProgress;
  /**
   * The topic may hold more than the cursor says: a retried attempt, a cursor from a progress
   * report or a run that ended without a result, or a catch-up after a lost run.
   */
  mayLag: boolean;
  resets?: CursorResets;
  /** Topics of the session's own instead of the worker's (a deployment's shadow session). */
  topic?: string;
  dlqTopic?: string;
}

/**
 * Opens one attempt's pipeline in the order exactly-once rests on (docs/architecture.md): the
 * topics exist; the writer claims the session's transactional id, which fences every older
 * writer; only then is the topic's tail read (nothing older can add to it any more), and the
 * attempt resumes after max(cursor, tail). `lost` fires when the attempt is no longer the
 * session's (another attempt owns it now): opening stops there, with lost's reason.
 */
export async function openSessionPipeline(deps: SessionPipelineDeps, a: SessionAttempt, lost: AbortSignal): Promise<TradePipeline> {
  const { config } = deps;
  const topics = sessionTopics(config, a);
  const compression = kafkaCompression(config.compression);
  const writer = createFencedWriter(deps.kafka, { transactionalId: sessionTransactionalId(config.kafka_transactional_id_prefix, a.workflowId), compression });
  try {
    const admin = deps.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, tradeTopicSpecs(config, topics));
    } finally {
      await admin.disconnect();
    }
    lost.throwIfAborted();
    await writer.open();
    lost.throwIfAborted();

    const writtenUpTo = sessionTailReader(deps, topics, a.resets);
    let cursor = mergeCursors(a.cursor, a.previous?.cursor);
    const counts: Record<string, number> = Object.fromEntries(Object.entries(a.previous?.symbols ?? {}).map(([s, p]) => [s, p.count]));
    // A symbol without a cursor (a fresh session) is as unknown as a cursor that may lag:
    // writing below what the topic holds would duplicate.
    if (a.mayLag || a.symbols.some((s) => cursor[s] === undefined)) {
      const tail = await writtenUpTo(a.symbols);
      log.info({ event: 'stream.resume', attempt: a.attempt, cursor, tail: Object.fromEntries(tail) });
      // Ids are consecutive: what a lost attempt or run committed after its last heartbeat or
      // report is the distance to the tail, and the session's totals count it too.
      for (const [s, id] of tail) if (cursor[s] !== undefined && !a.resets?.[s] && id > cursor[s]) counts[s] = (counts[s] ?? 0) + id - cursor[s];
      cursor = mergeCursors(cursor, tail);
      lost.throwIfAborted();
    }

    return await buildSessionPipeline(deps, {
      symbols: a.symbols,
      topics,
      cursor,
      counts,
      writer,
      createWriter: () => createFencedWriter(deps.kafka, { transactionalId: writer.transactionalId, compression }),
      writtenUpTo,
      resets: a.resets,
    });
  } catch (err) {
    // The pipeline owns the writer once built; until then it is ours to close.
    await writer.close();
    throw err;
  }
}

export type RunEnd = 'lifetime' | 'cancelled' | 'worker_shutdown' | 'caught_up';

/**
 * Runs an opened pipeline until its lifetime (connection_max_lifetime_hours) ends, `drain`
 * fires (the workflow asked: rotate, pause, stop) or the worker shuts down; each of these
 * drains it and hands back the cursor. A catch-up-only run ends when it caught up.
 */
export async function runSessionPipeline(
  pipeline: TradePipeline,
  o: { lifetimeMs: number; drain: AbortSignal; workerShutdown: AbortSignal; catchUpOnly?: boolean },
): Promise<{ final: PipelineProgress; endedBy: RunEnd }> {
  const lifetime = new AbortController();
  const timer = setTimeout(() => lifetime.abort(), o.lifetimeMs);
  try {
    const final = await pipeline.run(AbortSignal.any([o.drain, o.workerShutdown, lifetime.signal]), {
      catchUpOnly: o.catchUpOnly,
      drainTimeoutMs: o.catchUpOnly ? 10 * 60_000 : undefined,
    });
    const endedBy: RunEnd = o.catchUpOnly ? 'caught_up' : lifetime.signal.aborted ? 'lifetime' : o.workerShutdown.aborted ? 'worker_shutdown' : 'cancelled';
    if (!final.abortedBy && (endedBy === 'lifetime' || endedBy === 'cancelled')) metrics.rotations.inc();
    return { final, endedBy };
  } finally {
    clearTimeout(timer);
  }
}
