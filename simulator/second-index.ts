/**
 * (second, first id in that second) for the trades that have left a symbol's ring, oldest first,
 * so time ranges older than the retention still resolve to the second. Typed arrays, grown by
 * doubling up to `maxSeconds` and then overwritten oldest first: a busy symbol adds one entry a
 * second for as long as a soak runs, and per-entry objects would leave the GC millions to trace.
 */
export class SecondIndex {
  private seconds: Float64Array;
  private ids: Float64Array;
  private start = 0;
  private count = 0;

  constructor(private readonly maxSeconds: number) {
    this.seconds = new Float64Array(Math.min(64, maxSeconds));
    this.ids = new Float64Array(this.seconds.length);
  }

  get size(): number {
    return this.count;
  }

  /** Records the first id of `second`; later ids of the same second are already covered. */
  note(second: number, id: number): void {
    if (this.count > 0 && this.at(this.seconds, this.count - 1) === second) return;
    if (this.count === this.seconds.length) {
      if (this.seconds.length < this.maxSeconds) this.grow();
      else {
        this.start = (this.start + 1) % this.seconds.length;
        this.count--;
      }
    }
    const slot = (this.start + this.count) % this.seconds.length;
    this.seconds[slot] = second;
    this.ids[slot] = id;
    this.count++;
  }

  /** The first id recorded in `second` or later, by binary search. */
  firstIdFrom(second: number): number | undefined {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(this.seconds, mid) < second) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.count ? this.at(this.ids, lo) : undefined;
  }

  private at(column: Float64Array, i: number): number {
    return column[(this.start + i) % column.length];
  }

  private grow(): void {
    const size = Math.min(this.seconds.length * 2, this.maxSeconds);
    const copy = (column: Float64Array) => {
      const next = new Float64Array(size);
      for (let i = 0; i < this.count; i++) next[i] = this.at(column, i);
      return next;
    };
    this.seconds = copy(this.seconds);
    this.ids = copy(this.ids);
    this.start = 0;
  }
}
