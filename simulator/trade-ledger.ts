// The simulator's memory of every trade it generated: the source for REST history and the
// ground truth that "nothing lost, nothing duplicated" is checked against. Trades live in
// typed-array rings (about 40 bytes a trade), never as per-trade objects. A ring starts small and
// doubles up to its capacity: a whole market of 1,500 symbols, most of them quiet, would
// otherwise hold 1,500 full rings (15 GB at the default retention) from the start.

import { SecondIndex } from './second-index';

export interface LedgerTrade {
  id: number;
  priceUnits: number;
  qtyUnits: number;
  timeUs: number;
  buyerMaker: boolean;
  aggId: number;
}

export interface LedgerAggTrade {
  aggId: number;
  firstId: number;
  lastId: number;
}

export class SymbolLedger {
  private price: Float64Array;
  private qty: Float64Array;
  private time: Float64Array;
  private agg: Float64Array;
  private maker: Uint8Array;
  private aggFirst: Float64Array;
  private aggCount: Uint16Array;
  /** Slots allocated now: grows to `capacity`, and the ring wraps only once it is there. */
  private size: number;
  /** Id the next trade gets; ids are consecutive from `firstId`. */
  private next: number;
  private nextAgg: number;
  /** Seconds of the trades the ring has dropped, so time ranges resolve outside the retention too. */
  private readonly evicted: SecondIndex;

  constructor(
    readonly symbol: string,
    readonly firstId: number,
    readonly firstAggId: number,
    readonly capacity: number,
    maxIndexSeconds = 7 * 24 * 3600,
  ) {
    this.size = Math.min(capacity, 256);
    this.price = new Float64Array(this.size);
    this.qty = new Float64Array(this.size);
    this.time = new Float64Array(this.size);
    this.agg = new Float64Array(this.size);
    this.maker = new Uint8Array(this.size);
    this.aggFirst = new Float64Array(this.size);
    this.aggCount = new Uint16Array(this.size);
    this.next = firstId;
    this.nextAgg = firstAggId;
    this.evicted = new SecondIndex(maxIndexSeconds);
  }

  /** Records one aggregate (one taker order) of `count` trades at one price and time. */
  appendAggregate(priceUnits: number, qtyUnits: number[], timeUs: number, buyerMaker: boolean): LedgerAggTrade {
    if (this.next - this.firstId + qtyUnits.length > this.size && this.size < this.capacity) this.grow();
    const aggId = this.nextAgg++;
    const firstId = this.next;
    for (const q of qtyUnits) {
      const slot = this.next % this.size;
      // Only trades leaving the ring need the index: a quiet symbol's whole history may fit in it.
      if (this.next - this.capacity >= this.firstId) this.evicted.note(Math.floor(this.time[slot] / 1e6), this.next - this.capacity);
      this.price[slot] = priceUnits;
      this.qty[slot] = q;
      this.time[slot] = timeUs;
      this.agg[slot] = aggId;
      this.maker[slot] = buyerMaker ? 1 : 0;
      this.next++;
    }
    const aggSlot = aggId % this.size;
    this.aggFirst[aggSlot] = firstId;
    this.aggCount[aggSlot] = qtyUnits.length;
    return { aggId, firstId, lastId: this.next - 1 };
  }

  /** Doubles the rings (up to capacity), moving every trade and aggregate so far to its new slot. */
  private grow(): void {
    const size = Math.min(this.capacity, this.size * 2);
    const moved = <T extends Float64Array | Uint8Array | Uint16Array>(old: T, make: (n: number) => T, from: number, to: number): T => {
      const out = make(size);
      for (let id = from; id < to; id++) out[id % size] = old[id % this.size];
      return out;
    };
    const f64 = (n: number) => new Float64Array(n);
    this.price = moved(this.price, f64, this.firstId, this.next);
    this.qty = moved(this.qty, f64, this.firstId, this.next);
    this.time = moved(this.time, f64, this.firstId, this.next);
    this.agg = moved(this.agg, f64, this.firstId, this.next);
    this.maker = moved(this.maker, (n) => new Uint8Array(n), this.firstId, this.next);
    this.aggFirst = moved(this.aggFirst, f64, this.firstAggId, this.nextAgg);
    this.aggCount = moved(this.aggCount, (n) => new Uint16Array(n), this.firstAggId, this.nextAgg);
    this.size = size;
  }

  /** Last id generated, or firstId - 1 when none yet. */
  get lastId(): number {
    return this.next - 1;
  }

  get lastAggId(): number {
    return this.nextAgg - 1;
  }

  /** Seconds the index holds for trades the ring has dropped (it costs 16 bytes each). */
  get indexedSeconds(): number {
    return this.evicted.size;
  }

  /** Oldest id REST can still serve. */
  get oldestRetainedId(): number {
    return Math.max(this.firstId, this.next - this.capacity);
  }

  get oldestRetainedAggId(): number {
    // An aggregate is served only while all of its trades are retained.
    let a = Math.max(this.firstAggId, this.nextAgg - this.capacity);
    while (a < this.nextAgg && this.aggFirst[a % this.size] < this.oldestRetainedId) a++;
    return a;
  }

  get(id: number): LedgerTrade | undefined {
    if (id < this.oldestRetainedId || id > this.lastId) return undefined;
    const slot = id % this.size;
    return {
      id,
      priceUnits: this.price[slot],
      qtyUnits: this.qty[slot],
      timeUs: this.time[slot],
      buyerMaker: this.maker[slot] === 1,
      aggId: this.agg[slot],
    };
  }

  getAggregate(aggId: number): (LedgerAggTrade & { trade: LedgerTrade; qtyUnits: number }) | undefined {
    if (aggId < this.oldestRetainedAggId || aggId > this.lastAggId) return undefined;
    const slot = aggId % this.size;
    const firstId = this.aggFirst[slot];
    const lastId = firstId + this.aggCount[slot] - 1;
    const trade = this.get(firstId);
    if (!trade) return undefined;
    let qtyUnits = 0;
    for (let id = firstId; id <= lastId; id++) qtyUnits += this.qty[id % this.size];
    return { aggId, firstId, lastId, trade, qtyUnits };
  }

  /** Retained trades from `fromId` (clamped to the retention), at most `limit`. */
  range(fromId: number, limit: number): LedgerTrade[] {
    const out: LedgerTrade[] = [];
    for (let id = Math.max(fromId, this.oldestRetainedId); id <= this.lastId && out.length < limit; id++) {
      out.push(this.get(id)!);
    }
    return out;
  }

  /** First retained trade at or after `timeUs`, by binary search over the (sorted) times. */
  firstIdAtOrAfter(timeUs: number): number | undefined {
    let lo = this.oldestRetainedId;
    let hi = this.lastId + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.time[mid % this.size] < timeUs) lo = mid + 1;
      else hi = mid;
    }
    return lo <= this.lastId ? lo : undefined;
  }

  /**
   * Ground truth: the ids generated with trade time in [fromUs, toUs]. Exact inside the
   * retention; to the second outside it.
   */
  idsBetween(fromUs: number, toUs: number): { firstId: number; lastId: number } | undefined {
    const firstId = this.firstIdAtOrAfterAnywhere(fromUs);
    const afterLast = this.firstIdAtOrAfterAnywhere(toUs + 1);
    const lastId = (afterLast ?? this.lastId + 1) - 1;
    if (firstId === undefined || lastId < firstId) return undefined;
    return { firstId, lastId };
  }

  private firstIdAtOrAfterAnywhere(timeUs: number): number | undefined {
    const oldest = this.get(this.oldestRetainedId);
    if (oldest && timeUs >= oldest.timeUs) return this.firstIdAtOrAfter(timeUs);
    const hit = this.evicted.firstIdFrom(Math.ceil(timeUs / 1e6));
    return hit ?? (this.lastId >= this.firstId ? this.oldestRetainedId : undefined);
  }
}
