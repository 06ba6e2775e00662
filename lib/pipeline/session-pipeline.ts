import { Kafka } from 'kafkajs';
import { SerializerCache, tradeKeyDecoder } from '../avro/serializer';
import { BinanceRestClient } from '../binance/rest-client';
import { Config } from '../config';
import { FencedWriter } from '../kafka/fenced-writer';
import { SessionTopics } from '../kafka/topics';
import { readTopicTail } from '../kafka/topic-tail';
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
  },
): Promise<TradePipeline> {
  const { config } = deps;
  const tls = { verify: config.ssl_verify, ca: deps.caBundle };
  const { topics, ...rest } = o;
  // The session's name is its writer's: `<prefix>:<workflow id>`.
  labelSessionSymbols(o.writer.transactionalId.slice(config.kafka_transactional_id_prefix.length + 1), o.symbols, config.metrics_symbol_labels_max);
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
    rest: new BinanceRestClient({
      baseUrls: config.binance_rest_urls,
      weightBudgetPerMinute: config.rest_weight_budget_per_minute,
      serverWeightLimit: config.rest_weight_limit_per_minute,
      tls,
    }),
    bufferMaxRecords: config.buffer_max_records,
    maxBackfillTrades: config.backfill_max_trades,
    regressionThreshold: config.id_regression_threshold,
  });
}
