import { toTradeV2 } from '../avro/convert-trade';
import { Serializer } from '../avro/serializer';
import { BinanceRestClient } from '../binance/rest-client';
import { BinanceStreamSocket, StreamSocketOptions } from '../binance/stream-socket';
import { BinanceTrade, parseFrame } from '../binance/trade-frame';
import { GapTracker } from '../gaps/gap-tracker';
import { FencedWriter } from '../kafka/fenced-writer';
import { TradeSink } from '../kafka/trade-sink';
import { createLogger } from '../logger';
import { metrics } from '../metrics';
import { Backpressure } from './backpressure';
import { CommitLedger } from './commit-ledger';
import { Cursor } from './cursor';
import { badFrame, DeadLetter, idRegression, unrecoverableGap } from './dead-letters';
import { AbortReason, PipelineProgress, PipelineState } from './pipeline-progress';

const log = createLogger('pipeline');

export interface PipelineOptions {
  symbols: string[];
  cursor: Cursor;
  /** Trades acknowledged per symbol by earlier attempts of this run (from their heartbeats). */
  counts?: Record<string, number>;
  /** The session's writer, opened (every older writer fenced) before the topic's tail was read. */
  writer: FencedWriter;
  /** Another writer of the session, for the sink to settle an uncertain transaction with. */
  createWriter(): FencedWriter;
  topic: string;
  dlqTopic: string;
  serializer: Serializer;
  socket: Omit<StreamSocketOptions, 'streams'>;
  rest: BinanceRestClient;
  bufferMaxRecords: number;
  /** kafka_linger_ms: how long the first record of an idle sink waits for company. */
  lingerMs?: number;
  maxBackfillTrades: number;
  /** A live id this far below a symbol's cursor is an id regression (see GapTrackerDeps). */
  regressionThreshold?: number;
  /** How long reading may stay paused for backpressure before the connection is let go. */
  pauseDisconnectMs?: number;
  catchUpDelayMs?: number;
  /** Highest trade id per symbol already in the topic; guards resends after a Kafka failure. */
  writtenUpTo?(symbols: string[]): Promise<Map<string, number>>;
}

export interface RunOptions {
  drainTimeoutMs?: number;
  /** No socket: only catch every symbol up from REST to now and flush (a stop after a lost worker). */
  catchUpOnly?: boolean;
}

const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

/**
 * One Binance → Kafka run: socket, validation, gap tracking, TradeV2 encoding, the bounded
 * sink, and the cursor that advances only on Kafka's acknowledgement. `run` ends when the
 * signal fires (rotation, cancel, worker shutdown) and returns the cursor after a flush.
 */
export class TradePipeline {
  private readonly ledger: CommitLedger;
  private readonly socket: BinanceStreamSocket;
  private readonly sink: TradeSink;
  private readonly tracker: GapTracker;
  private readonly backpressure: Backpressure;
  private state: PipelineState = 'starting';
  private firstTradeAt: number | undefined;
  private reconnects = 0;
  private gapsFilled = 0;
  private lastError: string | undefined;
  private everConnected = false;
  private abortedBy: AbortReason | undefined;
  private wakeRun: (() => void) | undefined;

  constructor(private readonly o: PipelineOptions) {
    this.ledger = new CommitLedger(o.symbols, o.cursor, o.counts);
    this.sink = new TradeSink({
      writer: o.writer,
      createWriter: o.createWriter,
      lingerMs: o.lingerMs,
      onAcked: (records) => {
        this.ledger.committed(records);
        this.backpressure.afterCommit();
      },
      writtenUpTo: o.writtenUpTo,
    });
    this.sink.on('fenced', () => this.abort('fenced'));
    this.tracker = new GapTracker(o.symbols, o.cursor, {
      fetchTrades: (symbol, fromId, limit, signal) => o.rest.historicalTrades(symbol, fromId, limit, signal),
      emit: (trade, source) => this.emit(trade, source === 'stream' ? Date.now() : undefined),
      onUnrecoverable: (symbol, fromId, toId, reason) => this.unrecoverable(symbol, fromId, toId, reason),
      waitForRoom: (signal) => this.backpressure.roomInSink(signal),
      regressionThreshold: o.regressionThreshold,
      onRegression: (symbol, lastId, seenId) => {
        this.lastError = `id regression ${symbol}: live id ${seenId} is ${lastId - seenId} below the cursor ${lastId}; symbol held until k2 stream reset-cursor`;
        this.toDlq(idRegression(symbol, lastId, seenId));
      },
      maxBackfillTrades: o.maxBackfillTrades,
      catchUpDelayMs: o.catchUpDelayMs ?? 3_000,
      latestIds: o.rest.latestTradeIds ? (signal) => o.rest.latestTradeIds(signal) : undefined,
    });
    this.socket = new BinanceStreamSocket({ ...o.socket, streams: o.symbols.map((s) => `${s.toLowerCase()}@trade`) });
    this.backpressure = new Backpressure({
      socket: this.socket,
      sinkSize: () => this.sink.size,
      pending: () => this.tracker.pendingCount,
      bufferMaxRecords: o.bufferMaxRecords,
      pauseDisconnectMs: o.pauseDisconnectMs ?? 30_000,
      onPause: () => void (this.state = 'paused'),
      onResume: () => {
        if (this.state === 'paused') this.state = 'streaming';
      },
    });
    this.socket.on('open', () => {
      this.everConnected = true;
      this.state = 'streaming';
      this.tracker.onConnected();
    });
    this.socket.on('frame', (text, receivedAt) => this.onFrame(text, receivedAt));
    this.socket.on('down', (reason, detail) => {
      this.reconnects++;
      this.lastError = `${reason}: ${detail}`;
      // ws refuses a frame over max_payload_bytes by closing with 1009; the frame itself is gone,
      // so the dead-letter record says what happened, and the hole is backfilled like any other.
      if (reason === 'message_too_big') this.deadLetter('', 'oversized', `frame over max_payload_bytes (${o.socket.maxPayload})`, Date.now());
      if (this.state !== 'draining' && this.state !== 'stopped') this.state = 'connecting';
    });
    this.sink.on('kafka', (state, detail) => {
      if (state === 'down') this.lastError = `kafka: ${detail}`;
    });
  }

  progress(): PipelineProgress {
    return {
      state: this.sink.kafkaUp || this.state === 'draining' ? this.state : 'kafka_unavailable',
      at: Date.now(),
      topic: this.o.topic,
      cursor: this.ledger.cursor,
      symbols: this.ledger.symbols,
      connectedSince: this.socket.connectedSince,
      firstTradeAt: this.firstTradeAt,
      bufferDepth: this.backpressure.held,
      reconnects: this.reconnects,
      gapsFilled: this.gapsFilled,
      lastError: this.lastError ?? this.socket.lastError,
      cursorMayLag: this.sink.mayHaveWrittenUnacknowledged,
      regressions: this.tracker.regressions(),
      ...(this.abortedBy ? { abortedBy: this.abortedBy } : {}),
    };
  }

  /**
   * Ends the run at once, without draining: it is no longer the session's writer (fenced, or
   * its attempt is gone), so anything it would flush or catch up is the successor's to write.
   */
  abort(reason: AbortReason): void {
    if (this.abortedBy) return;
    this.abortedBy = reason;
    metrics.runsAborted.inc({ reason });
    log.warn({ event: 'pipeline.aborted', reason });
    this.sink.kill();
    void this.tracker.stop();
    this.wakeRun?.();
  }

  async run(signal: AbortSignal, o: RunOptions = {}): Promise<PipelineProgress> {
    const drainTimeoutMs = o.drainTimeoutMs ?? 30_000;
    this.sink.start();
    if (!o.catchUpOnly) {
      this.state = 'connecting';
      this.socket.start();
      this.backpressure.watch();
      if (!signal.aborted && !this.abortedBy) {
        await new Promise<void>((resolve) => {
          this.wakeRun = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    }
    this.state = 'draining';
    this.backpressure.unwatch();
    await this.socket.stop();
    if (this.abortedBy) return this.stopped();
    // A run that never reached Binance has nothing to catch up, and REST is likely just as far.
    const catchUp = this.everConnected || !!o.catchUpOnly;
    if (!(await this.tracker.drain(o.catchUpOnly ? drainTimeoutMs : Math.min(10_000, drainTimeoutMs / 2), catchUp))) {
      log.warn({ event: 'pipeline.backfill-unfinished', pending: this.tracker.pendingCount });
    }
    await this.tracker.stop();
    const flushed = this.abortedBy ? false : await this.sink.flush(drainTimeoutMs);
    if (!flushed) log.warn({ event: 'pipeline.drain-incomplete', unacknowledged: this.sink.size });
    await this.sink.stop();
    return this.stopped();
  }

  private async stopped(): Promise<PipelineProgress> {
    await this.tracker.stop();
    this.sink.kill();
    this.o.rest.close();
    this.state = 'stopped';
    this.backpressure.release();
    return this.progress();
  }

  private onFrame(text: string, receivedAt: number): void {
    const frame = parseFrame(text);
    switch (frame.kind) {
      case 'trade': {
        const { trade } = frame;
        if (!this.tracker.has(trade.symbol)) {
          this.deadLetter(text, 'unexpected_symbol', trade.symbol, receivedAt);
          break;
        }
        metrics.tradesReceived.inc({ symbol: trade.symbol });
        this.firstTradeAt ??= receivedAt;
        this.tracker.accept(trade);
        break;
      }
      case 'server_shutdown':
        log.warn({ event: 'binance.server-shutdown', eventTime: frame.eventTime });
        metrics.rotations.inc();
        this.socket.reconnect('server_shutdown');
        break;
      case 'reply':
        break;
      case 'invalid':
        this.deadLetter(text, frame.reason, frame.detail, receivedAt);
        break;
    }
    this.backpressure.afterRead();
  }

  private emit(trade: BinanceTrade, receivedAtMs: number | undefined): void {
    let value: Buffer;
    try {
      value = this.o.serializer.encode(toTradeV2(trade, nowUs()));
    } catch (err) {
      // The tracker has moved past this id: it is a hole in the topic, reported as one.
      this.unrecoverable(trade.symbol, trade.tradeId, trade.tradeId, `unencodable: ${(err as Error).message}`, trade);
      return;
    }
    if (receivedAtMs === undefined) this.gapsFilled++;
    this.sink.offer({
      topic: this.o.topic,
      key: trade.symbol,
      value,
      symbol: trade.symbol,
      tradeId: trade.tradeId,
      tradeTimeUs: trade.tradeTime,
      receivedAtMs,
    });
  }

  private deadLetter(raw: string, reason: string, detail: string, receivedAt: number): void {
    metrics.dlq.inc({ reason });
    log.warn({ event: 'frame.invalid', reason, detail: detail.slice(0, 200), bytes: raw.length });
    this.toDlq(badFrame(raw, reason, detail, receivedAt));
  }

  /** Ids the topic will never hold (REST cannot serve them, or they cannot be encoded): counted, logged, kept in the DLQ. */
  private unrecoverable(symbol: string, fromId: number, toId: number, reason: string, trade?: BinanceTrade): void {
    metrics.unrecoverableGaps.inc({ symbol });
    metrics.unrecoverableTrades.inc({ symbol }, toId - fromId + 1);
    log.error({ event: 'gap.unrecoverable', symbol, fromId, toId, trades: toId - fromId + 1, reason });
    this.lastError = `unrecoverable gap ${symbol} ${fromId}..${toId} (${reason})`;
    // Kept next to the bad frames, so a consumer can audit every id the topic lacks.
    this.toDlq(unrecoverableGap(symbol, fromId, toId, reason, trade));
  }

  private toDlq({ key, body }: DeadLetter): void {
    this.sink.offer({ topic: this.o.dlqTopic, key, value: Buffer.from(JSON.stringify(body)) });
  }
}
