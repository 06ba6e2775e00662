import { Kafka } from 'kafkajs';
import { SerializerCache, tradeKeyDecoder } from '../avro/serializer';
import { BinanceRestClient } from '../binance/rest-client';
import { Config } from '../config';
import { FencedWriter } from '../kafka/fenced-writer';
import { SessionTopics } from '../kafka/topics';
import { readTopicTail } from '../kafka/topic-tail';
import { createLogger } from '../logger';
import { labelSessionSymbols } from '../symbol-metrics';
import { Cursor, CursorResets } from './cursor';
import { TradePipeline } from './trade-pipeline';

export interface SessionPipelineDeps {
  config: Config;
  kafka: Kafka;
  serializers: SerializerCache;
  caBundle?: string;
}

const EXCHANGE = 'BINANCE';
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
export async function buildSessionPipeline(
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
    maxBackfillTrades: config.backfill_max_trades,
    regressionThreshold: config.id_regression_threshold,
  });
}
