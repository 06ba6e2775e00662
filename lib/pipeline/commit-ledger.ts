import type { SinkRecord } from '../kafka/trade-sink';
import { metrics } from '../metrics';
import type { Cursor } from './cursor';
import type { SymbolProgress } from './pipeline-progress';

/**
 * The run's cursor and per-symbol counts, moved only by Kafka's acknowledgement of a committed
 * batch: what it says was written, was written. Also where the end-to-end latencies and the
 * per-symbol production metrics are taken, as that is the moment a trade counts.
 */
export class CommitLedger {
  private readonly current: Cursor;
  private readonly bySymbol = new Map<string, SymbolProgress>();

  constructor(symbols: string[], cursor: Cursor, counts: Record<string, number> = {}) {
    this.current = { ...cursor };
    for (const s of symbols) this.bySymbol.set(s, { count: counts[s] ?? 0, lastId: cursor[s], lastTradeTimeUs: undefined });
  }

  get cursor(): Cursor {
    return { ...this.current };
  }

  get symbols(): Record<string, SymbolProgress> {
    return Object.fromEntries(this.bySymbol);
  }

  /** A committed batch: trades advance the cursor (dead letters carry no id and do not). */
  committed(records: SinkRecord[]): void {
    const now = Date.now();
    const nowSec = now / 1000;
    // Counters and gauges once per symbol per batch; latencies per trade.
    const perSymbol = new Map<string, number>();
    for (const r of records) {
      if (r.symbol === undefined || r.tradeId === undefined) continue;
      if (r.tradeId > (this.current[r.symbol] ?? -1)) this.current[r.symbol] = r.tradeId;
      perSymbol.set(r.symbol, (perSymbol.get(r.symbol) ?? 0) + 1);
      const p = this.bySymbol.get(r.symbol)!;
      p.lastTradeTimeUs = r.tradeTimeUs;
      if (r.receivedAtMs !== undefined) {
        metrics.receiveToAck.observe((now - r.receivedAtMs) / 1000);
        if (r.tradeTimeUs) metrics.exchangeToAck.observe(Math.max(0, nowSec - r.tradeTimeUs / 1e6));
      }
    }
    for (const [symbol, n] of perSymbol) {
      const p = this.bySymbol.get(symbol)!;
      p.count += n;
      p.lastId = this.current[symbol];
      metrics.tradesProduced.inc({ symbol }, n);
      if (p.lastTradeTimeUs) metrics.lastTradeTime.set({ symbol }, p.lastTradeTimeUs / 1e6);
    }
  }
}
