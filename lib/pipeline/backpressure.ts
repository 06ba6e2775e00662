import type { BinanceStreamSocket } from '../binance/stream-socket';
import { createLogger } from '../logger';
import { metrics } from '../metrics';

const log = createLogger('pipeline');

export interface BackpressureOptions {
  socket: Pick<BinanceStreamSocket, 'state' | 'pause' | 'resume' | 'suspend'>;
  /** Records in the sink, not yet acknowledged by Kafka. */
  sinkSize(): number;
  /** Live trades the gap tracker holds behind a backfill. */
  pending(): number;
  bufferMaxRecords: number;
  /** How long reading may stay paused before the connection is let go. */
  pauseDisconnectMs: number;
  onPause(): void;
  onResume(): void;
}

/**
 * Memory stays bounded by never reading faster than Kafka acknowledges: the socket pauses when
 * the records between it and Kafka reach buffer_max_records and resumes at half, and backfill
 * pages wait for room the same way. Nothing is ever dropped to make room.
 */
export class Backpressure {
  private pausedAt: number | undefined;
  private timer?: NodeJS.Timeout;
  private waiters: (() => void)[] = [];
  private released = false;

  constructor(private readonly o: BackpressureOptions) {}

  /** Records between the socket and Kafka's acknowledgement: the sink's and those held behind a backfill. */
  get held(): number {
    return this.o.sinkSize() + this.o.pending();
  }

  /** Watches a long pause while the socket runs. */
  watch(): void {
    this.timer = setInterval(() => this.checkPauseLength(), 1_000);
  }

  unwatch(): void {
    clearInterval(this.timer);
  }

  /** After a frame was read: pause reading at the bound. */
  afterRead(): void {
    if (this.held >= this.o.bufferMaxRecords) this.pauseReading();
  }

  /** After Kafka acknowledged a batch: resume reading, and let backfill pages in, below half the bound. */
  afterCommit(): void {
    this.maybeResume();
    if (this.waiters.length && this.o.sinkSize() < this.o.bufferMaxRecords / 2) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Backfill pages wait here while the sink holds half its bound: REST never outruns Kafka. */
  roomInSink(signal: AbortSignal): Promise<void> {
    if (this.o.sinkSize() < this.o.bufferMaxRecords / 2 || this.released) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** The run stopped: nothing waits for room any more. */
  release(): void {
    this.released = true;
    for (const wake of this.waiters.splice(0)) wake();
  }

  private pauseReading(): void {
    if (this.o.socket.state !== 'open') return;
    this.o.socket.pause();
    this.pausedAt = Date.now();
    this.o.onPause();
    metrics.streamPaused.set(1);
    log.warn({ event: 'pipeline.paused', buffered: this.o.sinkSize(), pending: this.o.pending() });
  }

  private maybeResume(): void {
    if (this.pausedAt === undefined || this.held > this.o.bufferMaxRecords / 2) return;
    const pausedMs = Date.now() - this.pausedAt;
    this.pausedAt = undefined;
    metrics.streamPaused.set(0);
    log.info({ event: 'pipeline.resumed', pausedMs });
    this.o.socket.resume();
    this.o.onResume();
  }

  /** Binance cuts a connection that does not answer pings for a minute: let it go first. */
  private checkPauseLength(): void {
    if (this.pausedAt !== undefined && this.o.socket.state === 'paused' && Date.now() - this.pausedAt > this.o.pauseDisconnectMs) {
      log.warn({ event: 'pipeline.suspended', pausedMs: Date.now() - this.pausedAt });
      this.o.socket.suspend('backpressure');
    }
  }
}
