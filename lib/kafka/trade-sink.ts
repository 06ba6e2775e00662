import { EventEmitter } from 'node:events';
import { CompressionTypes, Producer } from 'kafkajs';
import { Backoff } from '../binance/backoff';
import { createLogger } from '../logger';
import { metrics } from '../metrics';

const log = createLogger('kafka-sink');

export interface SinkRecord {
  topic: string;
  key: string;
  value: Buffer;
  /** Set for trades: the cursor advances on their acknowledgement. */
  symbol?: string;
  tradeId?: number;
  tradeTimeUs?: number;
  receivedAtMs?: number;
}

export interface SinkOptions {
  createProducer(): Producer;
  batchMax?: number;
  compression?: CompressionTypes;
  onAcked(records: SinkRecord[]): void;
  /**
   * After a failed send, the batch may have been written in part or in full (the ack was
   * lost). Before resending, the highest trade id per symbol already in the topic is asked
   * for, and those records are dropped: a retry never writes a trade twice.
   */
  writtenUpTo?(symbols: string[]): Promise<Map<string, number>>;
}

export interface SinkEvents {
  kafka: [state: 'up' | 'down', detail: string];
}

/**
 * The buffer between the socket and Kafka, and the one loop that writes it: batches in order,
 * one in flight, acks=all through an idempotent producer. A failed batch is retried until
 * Kafka takes it; nothing is ever dropped. The caller bounds it: when Kafka is away the
 * buffer fills and the caller pauses the socket, resuming as acknowledgements come back.
 */
export class TradeSink extends EventEmitter<SinkEvents> {
  private queue: SinkRecord[] = [];
  private head = 0;
  private inFlight = 0;
  private producer: Producer | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  kafkaUp = true;
  lastError: string | undefined;
  /** Set when the sink stopped with a failed batch: Kafka may hold records the cursor lacks. */
  mayHaveWrittenUnacknowledged = false;

  constructor(private readonly o: SinkOptions) {
    super();
  }

  get size(): number {
    return this.queue.length - this.head + this.inFlight;
  }

  /** Per trade: kept to a push; the depth gauge is set once per batch by the loop. */
  offer(record: SinkRecord): void {
    this.queue.push(record);
    this.wake?.();
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves once every record offered so far is acknowledged, or after `timeoutMs`. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.size > 0) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /** Stops the loop; what is not acknowledged by then stays unacknowledged (the cursor says so). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }

  private take(max: number): SinkRecord[] {
    const batch = this.queue.slice(this.head, this.head + max);
    this.head += batch.length;
    if (this.head > 10_000 && this.head > this.queue.length / 2) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private async connected(): Promise<Producer> {
    if (!this.producer) {
      this.producer = this.o.createProducer();
      await this.producer.connect();
    }
    return this.producer;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.queue.length === this.head) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, 100);
        });
        this.wake = undefined;
        continue;
      }
      metrics.bufferDepth.set(this.size);
      const taken = this.take(this.o.batchMax ?? 2_000);
      let batch = taken;
      this.inFlight = batch.length;
      const backoff = new Backoff(200, 10_000);
      // After a failed send the batch may be in Kafka in part or in full (a lost ack): it is
      // resent only after the topic's tail says which records are already there.
      let uncertain = false;
      while (batch.length > 0) {
        try {
          if (uncertain) {
            batch = await this.withoutWritten(batch);
            uncertain = false;
            this.inFlight = batch.length;
            if (batch.length === 0) break;
          }
          const producer = await this.connected();
          const byTopic = new Map<string, SinkRecord[]>();
          for (const r of batch) {
            let list = byTopic.get(r.topic);
            if (!list) byTopic.set(r.topic, (list = []));
            list.push(r);
          }
          await producer.sendBatch({
            acks: -1,
            compression: this.o.compression ?? CompressionTypes.GZIP,
            topicMessages: [...byTopic].map(([topic, records]) => ({
              topic,
              messages: records.map((r) => ({ key: r.key, value: r.value })),
            })),
          });
          if (!this.kafkaUp) {
            this.kafkaUp = true;
            log.info({ event: 'kafka.recovered' });
            this.emit('kafka', 'up', '');
          }
          break;
        } catch (err) {
          uncertain = true;
          metrics.kafkaErrors.inc();
          this.lastError = (err as Error).message;
          if (this.kafkaUp) {
            this.kafkaUp = false;
            this.emit('kafka', 'down', this.lastError);
          }
          if (this.stopped) {
            // Stopping while Kafka is away: the batch stays unacknowledged, and whoever resumes
            // must read the topic's tail, since some of it may be written.
            this.inFlight = 0;
            this.mayHaveWrittenUnacknowledged = true;
            return;
          }
          const delay = backoff.next();
          log.warn({ event: 'kafka.produce-failed', err: this.lastError, records: batch.length, retryInMs: delay });
          // A producer that failed may hold stale sequence state; start the next try afresh.
          await this.producer?.disconnect().catch(() => undefined);
          this.producer = undefined;
          await new Promise((r) => setTimeout(r, delay));
        }
      }
      this.inFlight = 0;
      // Records dropped as already written are in Kafka too: all of `taken` is acknowledged.
      this.o.onAcked(taken);
      metrics.bufferDepth.set(this.size);
    }
  }

  /** Throws while Kafka is away: the caller retries, and never sends without knowing. */
  private async withoutWritten(batch: SinkRecord[]): Promise<SinkRecord[]> {
    if (!this.o.writtenUpTo) return batch;
    const symbols = [...new Set(batch.filter((r) => r.symbol).map((r) => r.symbol!))];
    if (symbols.length === 0) return batch;
    const written = await this.o.writtenUpTo(symbols);
    const kept = batch.filter((r) => r.tradeId === undefined || r.tradeId > (written.get(r.symbol!) ?? -1));
    if (kept.length < batch.length) log.info({ event: 'kafka.retry-deduplicated', dropped: batch.length - kept.length });
    return kept;
  }
}
