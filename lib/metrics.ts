import { collectDefaultMetrics, Counter, Gauge, Histogram, register } from 'prom-client';
import { SymbolCounter, SymbolGauge } from './symbol-metrics';

// Every metric the worker exposes, in one place. The names without a k2_ prefix are the
// original plan's and are fixed (ARCHITECTURE.md): dashboards and alert rules rely on them.

export const registry = register;

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const metrics = {
  // Connection (original names)
  rotations: new Counter({ name: 'binance_connection_rotations_total', help: 'Planned connection rotations (lifetime reached, rotate signal, serverShutdown)' }),
  connectionLifetime: new Gauge({ name: 'binance_connection_lifetime_seconds', help: 'Age of the current Binance WebSocket connection' }),
  lastPong: new Gauge({ name: 'binance_last_pong_timestamp_seconds', help: 'Unix time of the last pong received from Binance' }),
  pongTimeouts: new Counter({ name: 'binance_pong_timeouts_total', help: 'Client pings not answered within ping_timeout_seconds' }),
  pingsSent: new Counter({ name: 'binance_pings_sent_total', help: 'Client pings sent to Binance (every ping_interval_seconds)' }),
  pongsReceived: new Counter({ name: 'binance_pongs_received_total', help: 'Pongs received from Binance' }),
  reconnects: new Counter({ name: 'binance_reconnects_total', help: 'Reconnects by cause', labelNames: ['reason'] as const }),

  // Memory (original names; fed by the memory monitor)
  rss: new Gauge({ name: 'process_memory_rss_bytes', help: 'Resident set size of the worker process' }),
  vms: new Gauge({ name: 'process_memory_vms_bytes', help: 'Virtual memory size of the worker process' }),
  arrayBuffers: new Gauge({ name: 'k2_nodejs_array_buffers_bytes', help: 'Memory of ArrayBuffers and Buffers (outside the V8 heap; part of external)' }),
  leakScore: new Gauge({ name: 'memory_leak_detection_score', help: 'clamp(RSS slope MB/h / 50, 0, 1) x R^2 over the sample window' }),

  // Serializer cache (original names)
  serializerCacheSize: new Gauge({ name: 'serializer_cache_size', help: 'Serializers held in the bounded LRU cache' }),
  serializerCacheEvictions: new Counter({ name: 'serializer_cache_evictions_total', help: 'Serializers evicted from the LRU cache' }),

  // Pipeline
  connectionUp: new Gauge({ name: 'k2_connection_up', help: '1 while the Binance WebSocket is open' }),
  tlsVerify: new Gauge({ name: 'k2_tls_verification_enabled', help: '1 when TLS certificates are verified (ssl_verify), 0 when switched off' }),
  tradesReceived: new SymbolCounter({ name: 'k2_trades_received_total', help: 'Trades received on the stream', labelNames: ['symbol'] as const }),
  tradesProduced: new SymbolCounter({ name: 'k2_trades_produced_total', help: 'Trades acknowledged by Kafka', labelNames: ['symbol'] as const }),
  lastTradeTime: new SymbolGauge({ name: 'k2_last_trade_timestamp_seconds', help: 'Trade time of the last trade acknowledged by Kafka', labelNames: ['symbol'] as const }),
  exchangeToAck: new Histogram({ name: 'k2_produce_latency_seconds', help: 'Exchange trade time to Kafka acknowledgement', buckets: latencyBuckets }),
  receiveToAck: new Histogram({ name: 'k2_pipeline_latency_seconds', help: 'Frame received to Kafka acknowledgement', buckets: latencyBuckets }),
  bufferDepth: new Gauge({ name: 'k2_buffer_records', help: 'Records waiting between the socket and the Kafka producer' }),
  streamPaused: new Gauge({ name: 'k2_stream_paused', help: '1 while reading is paused because the buffer is full (Kafka slow or down)' }),
  kafkaErrors: new Counter({ name: 'k2_kafka_produce_errors_total', help: 'Failed produce attempts (retried, never dropped)' }),
  dlq: new Counter({ name: 'k2_dlq_records_total', help: 'Frames that failed validation, kept in the dead-letter topic', labelNames: ['reason'] as const }),
  transactions: new Counter({ name: 'k2_kafka_transactions_total', help: 'Kafka transactions (one per batch) by outcome', labelNames: ['outcome'] as const }),
  streamsActive: new Gauge({ name: 'k2_streams_active', help: 'Stream sessions whose activity runs on this worker now' }),
  runsAborted: new Counter({
    name: 'k2_runs_aborted_total',
    help: 'Runs stopped at once without draining: fenced by a newer writer, or their attempt timed out or was lost',
    labelNames: ['reason'] as const,
  }),

  // Gaps
  gaps: new SymbolCounter({ name: 'k2_gaps_detected_total', help: 'Holes in a symbol trade id sequence', labelNames: ['symbol'] as const }),
  backfilled: new SymbolCounter({ name: 'k2_trades_backfilled_total', help: 'Trades filled from REST historicalTrades', labelNames: ['symbol'] as const }),
  duplicates: new SymbolCounter({ name: 'k2_duplicates_dropped_total', help: 'Trades dropped because their id was already written', labelNames: ['symbol'] as const }),
  unrecoverableGaps: new SymbolCounter({ name: 'k2_unrecoverable_gaps_total', help: 'Holes REST could not fill (older than its history)', labelNames: ['symbol'] as const }),
  unrecoverableTrades: new SymbolCounter({ name: 'k2_unrecoverable_trades_total', help: 'Trade ids lost in unrecoverable holes', labelNames: ['symbol'] as const }),
  idRegression: new SymbolGauge({
    name: 'k2_trade_id_regression',
    help: '1 while a symbol is held because its trade ids fell far below its cursor (wrong environment, reset exchange)',
    labelNames: ['symbol'] as const,
  }),
  idRegressionTrades: new SymbolCounter({ name: 'k2_trade_id_regression_trades_total', help: 'Trades held back (not written) while their symbol is in id regression', labelNames: ['symbol'] as const }),
  backfillLatency: new Histogram({ name: 'k2_backfill_duration_seconds', help: 'Time to fill one hole from REST', buckets: latencyBuckets }),
  restRequests: new Counter({ name: 'k2_rest_requests_total', help: 'Binance REST requests by HTTP status', labelNames: ['status'] as const }),
  restWeight: new Gauge({ name: 'k2_rest_used_weight', help: 'X-MBX-USED-WEIGHT-1M of the last REST response' }),
};

// Series exist from the start (at 0), so dashboards and rate() see every cause before it happens.
export const RECONNECT_REASONS = [
  'connect_failed', 'pong_timeout', 'data_silence', 'server_shutdown', 'abnormal_close',
  'server_going_away', 'server_close', 'policy_violation', 'message_too_big', 'server_error', 'backpressure',
];
for (const reason of RECONNECT_REASONS) metrics.reconnects.inc({ reason }, 0);

let defaultsStarted = false;

/** Node's process metrics (process_*, nodejs_*), once per process. */
export function collectProcessMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics({ register });
}
