import { abortableSleep } from '../abortable-sleep';
import { BinanceTrade } from '../binance/trade-frame';
import { createLogger } from '../logger';
import { metrics } from '../metrics';

const log = createLogger('gap-tracker');

/** ticker/24hr for all symbols weighs 80: below 4 symbols, asking each (25) is cheaper. */
const LATEST_IDS_MIN_SYMBOLS = 4;

export type TradeSource = 'stream' | 'backfill';

export interface GapTrackerDeps {
  /** historicalTrades: trades from `fromId` on, at most `limit`. */
  fetchTrades(symbol: string, fromId: number, limit: number, signal: AbortSignal): Promise<BinanceTrade[]>;
  /** Called in id order per symbol, each id once. */
  emit(trade: BinanceTrade, source: TradeSource): void;
  /** A hole REST cannot fill: reported with its exact range, then streaming goes on. */
  onUnrecoverable?(symbol: string, fromId: number, toId: number, reason: string): void;
  /**
   * Resolves when the writer has room for another page: a backfill (hole, catch-up, drain)
   * never fetches faster than Kafka takes, so memory stays bounded however large the hole.
   */
  waitForRoom?(signal: AbortSignal): Promise<void>;
  /**
   * A live id more than this far below the symbol's last id is no late duplicate but another
   * id space (a demo's, a reset exchange's): the symbol is held and reported, never written.
   */
  regressionThreshold?: number;
  /** A symbol went into id regression (once per episode). */
  onRegression?(symbol: string, lastId: number, seenId: number): void;
  /** Holes larger than this are filled only for their newest part; the rest is reported. */
  maxBackfillTrades: number;
  /** After a connect, a symbol with no live trade in this long is caught up from REST anyway. */
  catchUpDelayMs: number;
  /**
   * The exchange's last trade id per symbol (ticker/24hr, one request for all): a catch-up of
   * many symbols asks only those with trades after their last id, instead of historicalTrades
   * (weight 25) for each — a 200-symbol session would spend most of an IP's minute on every
   * rotation. Symbols it leaves out lose nothing: their next live trade shows any hole.
   */
  latestIds?(signal: AbortSignal): Promise<Map<string, number>>;
  pageSize?: number;
}

interface SymbolTrack {
  symbol: string;
  /** Last id handed to `emit`. */
  last: number | undefined;
  backfilling: boolean;
  /** Live trades that arrived while a hole was being filled, in arrival order. */
  pending: BinanceTrade[];
  awaitingLive: boolean;
  /** Set while live ids are far below `last`: those trades are held back (counted, not written). */
  regression?: { seenId: number; since: number; held: number };
  /** A live id in sequence was seen since the last regression (or in this run). */
  inSequence?: boolean;
}

export interface RegressionState {
  lastId: number;
  seenId: number;
  since: number;
  held: number;
}

/**
 * Per-symbol trade id continuity. Binance spot ids are consecutive per symbol, so the next
 * id must be last+1: a smaller one is a duplicate and dropped, a larger one opens a hole that
 * is filled from REST while live trades wait, so each symbol's trades leave in id order.
 */
export class GapTracker {
  private readonly tracks = new Map<string, SymbolTrack>();
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private pendingTotal = 0;
  private catchUpTimer?: NodeJS.Timeout;

  constructor(
    symbols: string[],
    cursor: Record<string, number>,
    private readonly deps: GapTrackerDeps,
  ) {
    for (const symbol of symbols) {
      this.tracks.set(symbol, { symbol, last: cursor[symbol], backfilling: false, pending: [], awaitingLive: false });
    }
  }

  has(symbol: string): boolean {
    return this.tracks.has(symbol);
  }

  /** Live trades waiting behind a backfill, over all symbols (asked once per frame, so kept, not summed). */
  get pendingCount(): number {
    return this.pendingTotal;
  }

  get backfilling(): boolean {
    return [...this.tracks.values()].some((t) => t.backfilling);
  }

  /** Symbols whose live ids fell far below their last id, with what was seen. */
  regressions(): Record<string, RegressionState> {
    const out: Record<string, RegressionState> = {};
    for (const t of this.tracks.values()) if (t.regression && t.last !== undefined) out[t.symbol] = { lastId: t.last, ...t.regression };
    return out;
  }

  /**
   * A new connection: whatever happened while no connection was open is unknown until a
   * symbol's next trade shows its id. Quiet symbols are caught up from REST after a delay.
   */
  onConnected(): void {
    for (const t of this.tracks.values()) t.awaitingLive = t.last !== undefined;
    clearTimeout(this.catchUpTimer);
    this.catchUpTimer = setTimeout(() => {
      void this.catchUp([...this.tracks.values()].filter((t) => t.awaitingLive && !t.backfilling));
    }, this.deps.catchUpDelayMs);
  }

  accept(trade: BinanceTrade): void {
    const t = this.tracks.get(trade.symbol);
    if (!t) return;
    t.awaitingLive = false;
    if (t.backfilling) this.hold(t, trade);
    else this.process(t, trade);
  }

  /**
   * For a clean handover once no live trade comes any more: catches every symbol up from REST
   * (what the exchange traded up to now, even while no connection was open), lets running
   * backfills finish and pending trades go out. Gives up after `timeoutMs`; whatever is left is
   * fetched again by the next run, since the cursor only counts what Kafka acknowledged.
   */
  async drain(timeoutMs: number, catchUp = true): Promise<boolean> {
    clearTimeout(this.catchUpTimer);
    const deadline = Date.now() + timeoutMs;
    const settled = async () => {
      while (this.backfilling || this.pendingCount > 0) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 10));
      }
      return true;
    };
    if (!(await settled())) return false;
    if (!catchUp) return true;
    await this.catchUp([...this.tracks.values()].filter((t) => t.last !== undefined), deadline);
    return settled();
  }

  /** Backfills `tracks` from their last id to now; with latestIds, only those the exchange has newer trades of. */
  private async catchUp(tracks: SymbolTrack[], deadline?: number): Promise<void> {
    let behind = tracks;
    if (this.deps.latestIds && tracks.length >= LATEST_IDS_MIN_SYMBOLS) {
      const signal = deadline ? AbortSignal.any([this.abort.signal, AbortSignal.timeout(Math.max(1, deadline - Date.now()))]) : this.abort.signal;
      try {
        const latest = await this.deps.latestIds(signal);
        behind = tracks.filter((t) => (latest.get(t.symbol) ?? Infinity) > t.last!);
        log.info({ event: 'gap.catch-up', symbols: tracks.length, behind: behind.length });
      } catch (err) {
        if (this.abort.signal.aborted) return;
        log.warn({ event: 'gap.latest-ids-failed', err: (err as Error).message });
      }
    }
    for (const t of behind) if (t.last !== undefined && !t.backfilling) this.startBackfill(t, t.last + 1, undefined);
  }

  /** Aborts running backfills; trades they did not emit stay for the next run to fetch. */
  async stop(): Promise<void> {
    clearTimeout(this.catchUpTimer);
    this.abort.abort(new Error('gap tracker stopped'));
    await Promise.allSettled([...this.running]);
  }

  private hold(t: SymbolTrack, trade: BinanceTrade): void {
    t.pending.push(trade);
    this.pendingTotal++;
  }

  private process(t: SymbolTrack, trade: BinanceTrade): void {
    const id = trade.tradeId;
    if (t.last !== undefined && id <= t.last - (this.deps.regressionThreshold ?? Infinity)) {
      this.regressed(t, id);
      return;
    }
    if (t.regression) {
      log.info({ event: 'gap.id-regression-ended', symbol: t.symbol, lastId: t.last, id, held: t.regression.held });
      t.regression = undefined;
    }
    if (!t.inSequence) {
      // The gauge outlives a run (the next may meet the same regression): cleared by proof only.
      t.inSequence = true;
      metrics.idRegression.set({ symbol: t.symbol }, 0);
    }
    if (t.last === undefined || id === t.last + 1) {
      t.last = id;
      this.deps.emit(trade, 'stream');
    } else if (id <= t.last) {
      metrics.duplicates.inc({ symbol: t.symbol });
    } else {
      this.hold(t, trade);
      this.startBackfill(t, t.last + 1, id - 1);
    }
  }

  private regressed(t: SymbolTrack, id: number): void {
    metrics.idRegressionTrades.inc({ symbol: t.symbol });
    if (t.regression) {
      t.regression.held++;
      return;
    }
    t.regression = { seenId: id, since: Date.now(), held: 1 };
    t.inSequence = false;
    metrics.idRegression.set({ symbol: t.symbol }, 1);
    log.error({ event: 'gap.id-regression', symbol: t.symbol, lastId: t.last, id, below: t.last! - id });
    this.deps.onRegression?.(t.symbol, t.last!, id);
  }

  private startBackfill(t: SymbolTrack, fromId: number, toId: number | undefined): void {
    t.backfilling = true;
    const run = this.backfill(t, fromId, toId)
      .catch((err: Error) => {
        if (!this.abort.signal.aborted) log.error({ event: 'gap.backfill-failed', symbol: t.symbol, err: err.message });
      })
      .finally(() => {
        this.running.delete(run);
        t.backfilling = false;
        const pending = t.pending;
        t.pending = [];
        this.pendingTotal -= pending.length;
        if (this.abort.signal.aborted) return;
        for (const trade of pending) {
          if (t.backfilling) this.hold(t, trade);
          else this.process(t, trade);
        }
      });
    this.running.add(run);
  }

  private unrecoverable(t: SymbolTrack, fromId: number, toId: number, reason: string): void {
    this.deps.onUnrecoverable?.(t.symbol, fromId, toId, reason);
    t.last = Math.max(t.last ?? toId, toId);
  }

  /** Fills [fromId, toId] (or, without toId, everything REST has from fromId on). */
  private async backfill(t: SymbolTrack, fromId: number, toId: number | undefined): Promise<void> {
    const started = Date.now();
    const pageSize = this.deps.pageSize ?? 1000;
    const signal = this.abort.signal;
    if (toId !== undefined) {
      metrics.gaps.inc({ symbol: t.symbol });
      log.info({ event: 'gap.detected', symbol: t.symbol, fromId, toId, trades: toId - fromId + 1 });
      if (toId - fromId + 1 > this.deps.maxBackfillTrades) {
        this.unrecoverable(t, fromId, toId - this.deps.maxBackfillTrades, 'larger than backfill_max_trades');
        fromId = toId - this.deps.maxBackfillTrades + 1;
      }
    }
    let next = fromId;
    let filled = 0;
    let emptyTries = 0;
    while (toId === undefined || next <= toId) {
      if (this.deps.waitForRoom) {
        await this.deps.waitForRoom(signal);
        signal.throwIfAborted();
      }
      const rows = (await this.deps.fetchTrades(t.symbol, next, pageSize, signal)).filter((r) => r.tradeId >= next);
      if (rows.length === 0) {
        if (toId === undefined) break;
        // REST may lag the stream by a moment; after that, the ids are not to be had.
        if (++emptyTries > 5) {
          this.unrecoverable(t, next, toId, 'not served by REST');
          break;
        }
        await abortableSleep(200 * emptyTries, signal);
        continue;
      }
      emptyTries = 0;
      if (rows[0].tradeId > next) this.unrecoverable(t, next, rows[0].tradeId - 1, 'older than REST history');
      let page = 0;
      for (const r of rows) {
        if (toId !== undefined && r.tradeId > toId) break;
        if (t.last !== undefined && r.tradeId <= t.last) continue;
        t.last = r.tradeId;
        page++;
        this.deps.emit(r, 'backfill');
      }
      if (page) metrics.backfilled.inc({ symbol: t.symbol }, page);
      filled += page;
      next = (t.last ?? next) + 1;
      if (toId === undefined && rows.length < pageSize) break;
      if (signal.aborted) return;
    }
    metrics.backfillLatency.observe((Date.now() - started) / 1000);
    if (filled) log.info({ event: 'gap.filled', symbol: t.symbol, fromId, toId: t.last, trades: filled, ms: Date.now() - started });
  }
}
