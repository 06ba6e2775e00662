/** Counts events in a sliding window: the strict kind Binance enforces (a bucket would burst). */
export class SlidingWindow {
  private readonly times: number[] = [];

  constructor(readonly windowMs: number) {}

  /** Records an event at `now` and returns how many fall inside the window, this one included. */
  hit(now: number): number {
    this.times.push(now);
    this.evict(now);
    return this.times.length;
  }

  count(now: number): number {
    this.evict(now);
    return this.times.length;
  }

  private evict(now: number): void {
    let drop = 0;
    while (drop < this.times.length && this.times[drop] <= now - this.windowMs) drop++;
    if (drop) this.times.splice(0, drop);
  }
}

/** Request weight per calendar minute, as Binance counts X-MBX-USED-WEIGHT-1M. */
export class MinuteWeight {
  private minute = -1;
  private used = 0;

  add(now: number, weight: number): number {
    this.roll(now);
    this.used += weight;
    return this.used;
  }

  current(now: number): number {
    this.roll(now);
    return this.used;
  }

  /** Seconds until the window resets, as Retry-After gives it. */
  secondsToReset(now: number): number {
    return Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));
  }

  private roll(now: number): void {
    const m = Math.floor(now / 60_000);
    if (m !== this.minute) {
      this.minute = m;
      this.used = 0;
    }
  }
}
