import { parsePromText, promByLabel, promValue } from './prom-text';

// What a worker's own /metrics says about its stream, memory and heap: read by the soak runner
// every sample, and by the production validation when no Prometheus is configured.

export interface WorkerMetrics {
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  eventLoopLagSeconds: number;
  leakScore: number;
  tradesReceived: number;
  tradesProduced: number;
  rotations: number;
  reconnects: Record<string, number>;
  pings: number;
  pongs: number;
  pongTimeouts: number;
  bufferRecords: number;
  backfilled: number;
  gaps: number;
  dlq: number;
  unrecoverable: number;
}

/** A scrape also says which process answered, and its RSS as the worker's memory monitor saw it. */
export interface WorkerScrape extends WorkerMetrics {
  processStartSeconds: number;
  rssBytes: number;
}

export async function scrapeWorker(metricsUrl: string): Promise<WorkerScrape | undefined> {
  let text: string;
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return undefined;
    text = await res.text();
  } catch {
    return undefined; // restarting
  }
  const m = parsePromText(text);
  const v = (name: string) => promValue(m, name);
  return {
    heapUsedBytes: v('nodejs_heap_size_used_bytes'),
    heapTotalBytes: v('nodejs_heap_size_total_bytes'),
    externalBytes: v('nodejs_external_memory_bytes'),
    arrayBuffersBytes: v('k2_nodejs_array_buffers_bytes'),
    eventLoopLagSeconds: v('nodejs_eventloop_lag_seconds'),
    leakScore: v('memory_leak_detection_score'),
    tradesReceived: v('k2_trades_received_total'),
    tradesProduced: v('k2_trades_produced_total'),
    rotations: v('binance_connection_rotations_total'),
    reconnects: promByLabel(m, 'binance_reconnects_total', 'reason'),
    pings: v('binance_pings_sent_total'),
    pongs: v('binance_pongs_received_total'),
    pongTimeouts: v('binance_pong_timeouts_total'),
    bufferRecords: v('k2_buffer_records'),
    backfilled: v('k2_trades_backfilled_total'),
    gaps: v('k2_gaps_detected_total'),
    dlq: v('k2_dlq_records_total'),
    unrecoverable: v('k2_unrecoverable_trades_total'),
    processStartSeconds: v('process_start_time_seconds'),
    rssBytes: v('process_memory_rss_bytes'),
  };
}
