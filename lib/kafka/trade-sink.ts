import { EventEmitter } from 'node:events';
import { Backoff } from '../binance/backoff';
import { createLogger } from '../logger';
import { metrics } from '../metrics';
import { FencedWriter, isFencedError } from './fenced-writer';

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
  /** A new writer of the session (same transactional id): opening it fences the one before. */
  createWriter(): FencedWriter;
  /** The writer the run opened (fenced) before it read the topic's tail. */
  writer?: FencedWriter;
  batchMax?: number;
  /**
   * A batch starts this long after the first record reached an empty buffer (Kafka's linger.ms),
   * unless batchMax records are waiting: a trade that arrives while a transaction is in flight
   * waits for it anyway, so at high rates this adds nothing.
   */
  lingerMs?: number;
  onAcked(records: SinkRecord[]): void;
  /**
   * After a failed transaction, its commit may or may not have got through (the answer was
   * lost). A new writer is opened first, which settles it, then the last trade id per symbol
   * in the topic is asked for, and those records are dropped: a retry never writes a trade twice.
   */
  writtenUpTo?(symbols: string[]): Promise<Map<string, number>>;
}

export interface SinkEvents {
  kafka: [state: 'up' | 'down', detail: string];
  /** A newer writer of the session took over: the sink has stopped and will write nothing more. */
  fenced: [err: Error];
}

/**
 * The buffer between the socket and Kafka, and the one loop that writes it: batches in order,
 * one in flight, each batch one Kafka transaction (acks=all); the caller's cursor advances on
 * commit. A failed batch is retried until Kafka takes it; nothing is ever dropped. A fenced
 * writer (a newer attempt of the session took over) stops the sink for good. The caller bounds
 * it: when Kafka is away the buffer fills and the caller pauses the socket, resuming as
 * acknowledgements come back.
 */
export class TradeSink extends EventEmitter<SinkEvents> {
  private queue: SinkRecord[] = [];
  private head = 0;
  private inFlight = 0;
  private writer: FencedWriter | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  private killed = false;
  private loop: Promise<void> | undefined;
  /** When the oldest record waiting (not yet taken) reached the buffer. */
  private waitingSince: number | undefined;
  kafkaUp = true;
  lastError: string | undefined;
  /** Set when the sink stopped with a failed batch: Kafka may hold records the cursor lacks. */
  mayHaveWrittenUnacknowledged = false;

  constructor(private readonly o: SinkOptions) {
    super();
    this.writer = o.writer;
  }

  get size(): number {
    return this.queue.length - this.head + this.inFlight;
  }

  /** Per trade: kept to a push; the depth gauge is set once per batch by the loop. */
  offer(record: SinkRecord): void {
    if (this.queue.length === this.head) this.waitingSince ??= performance.now();
    this.queue.push(record);
    this.wake?.();
  }

  start(): void {
    this.loop ??= this.run().finally(() => (this.killed ? this.closeWriter() : undefined));
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
    await this.closeWriter();
  }

  /**
   * Stops at once, for a run that is no longer the session's writer: no new transaction, no
   * retry, and above all no new writer (opening one would fence the attempt that replaced us).
   * A batch already on the wire either commits before the fence or is aborted by it.
   */
  kill(): void {
    this.killed = true;
    this.stopped = true;
    this.wake?.();
    // The writer closes when the loop ends: closing it under a request in flight only adds
    // connection errors to a run that is already over.
    if (!this.loop) void this.closeWriter();
  }

  private async closeWriter(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.close();
  }

  private take(max: number): SinkRecord[] {
    const batch = this.queue.slice(this.head, this.head + max);
    this.head += batch.length;
    // What stays behind is older than the linger already: it goes with the next batch at once.
    if (this.head === this.queue.length) this.waitingSince = undefined;
    if (this.head > 10_000 && this.head > this.queue.length / 2) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private async opened(): Promise<FencedWriter> {
    if (!this.writer) {
      if (this.killed) throw new Error('sink killed: no new writer');
      const writer = this.o.createWriter();
      this.writer = writer;
      try {
        await writer.open();
      } catch (err) {
        this.writer = undefined;
        await writer.close();
        throw err;
      }
    }
    return this.writer;
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
      const batchMax = this.o.batchMax ?? 2_000;
      const linger = (this.waitingSince ?? 0) + (this.o.lingerMs ?? 0) - performance.now();
      if (linger >= 1 && this.queue.length - this.head < batchMax && !this.stopped) {
        await new Promise((r) => setTimeout(r, linger));
        continue;
      }
      metrics.bufferDepth.set(this.size);
      const taken = this.take(batchMax);
      let batch = taken;
      this.inFlight = batch.length;
      const backoff = new Backoff(200, 10_000);
      // After a failed transaction its commit may have got through (a lost answer): the batch
      // is resent only after a new writer settled it and the topic's tail says what is there.
      let uncertain = false;
      while (batch.length > 0) {
        if (this.killed) {
          this.inFlight = 0;
          return;
        }
        try {
          const writer = await this.opened();
          if (uncertain) {
            batch = await this.withoutWritten(batch);
            uncertain = false;
            this.inFlight = batch.length;
            if (batch.length === 0) break;
          }
          const byTopic = new Map<string, SinkRecord[]>();
          for (const r of batch) {
            let list = byTopic.get(r.topic);
            if (!list) byTopic.set(r.topic, (list = []));
            list.push(r);
          }
          await writer.write([...byTopic].map(([topic, records]) => ({ topic, messages: records.map((r) => ({ key: r.key, value: r.value })) })));
          metrics.transactions.inc({ outcome: 'committed' });
          if (!this.kafkaUp) {
            this.kafkaUp = true;
            log.info({ event: 'kafka.recovered' });
            this.emit('kafka', 'up', '');
          }
          break;
        } catch (err) {
          uncertain = true;
          this.lastError = (err as Error).message;
          if (isFencedError(err)) {
            metrics.transactions.inc({ outcome: 'fenced' });
            log.warn({ event: 'kafka.fenced', err: this.lastError, records: batch.length });
            this.inFlight = 0;
            this.mayHaveWrittenUnacknowledged = true;
            this.kill();
            this.emit('fenced', err as Error);
            return;
          }
          metrics.transactions.inc({ outcome: 'failed' });
          metrics.kafkaErrors.inc();
          if (this.kafkaUp) {
            this.kafkaUp = false;
            this.emit('kafka', 'down', this.lastError);
          }
          if (this.stopped) {
            // Stopping while Kafka is away: the batch stays unacknowledged, and whoever resumes
            // must read the topic's tail, since its transaction may have committed.
            this.inFlight = 0;
            this.mayHaveWrittenUnacknowledged = true;
            return;
          }
          const delay = backoff.next();
          log.warn({ event: 'kafka.produce-failed', err: this.lastError, records: batch.length, retryInMs: delay });
          // The next try opens a new writer: that settles this transaction (commit or abort).
          await this.closeWriter();
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
    const span: Record<string, [number, number]> = {};
    for (const r of batch) if (r.symbol && r.tradeId !== undefined) span[r.symbol] = [span[r.symbol]?.[0] ?? r.tradeId, r.tradeId];
    log.info({ event: 'kafka.retry-deduplicated', tail: Object.fromEntries(written), batch: span, dropped: batch.length - kept.length });
    return kept;
  }
}
