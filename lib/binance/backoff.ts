/**
 * Capped exponential backoff with jitter that never gives up: the n-th delay is drawn from
 * [cap/2, cap] where cap = min(max, initial * 2^n), so a fleet that lost Binance at the same
 * moment does not come back at the same moment either.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    const cap = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(cap / 2 + (this.random() * cap) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
