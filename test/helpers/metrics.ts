import { Counter } from 'prom-client';
import { metrics } from '../../lib/metrics';

/** Current value of binance_reconnects_total for one reason (the worker runs in the test process). */
export async function reconnects(reason: string): Promise<number> {
  const m = await metrics.reconnects.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Sum of a counter's series whose labels match `labels`. */
export async function counter<T extends string>(c: Counter<T>, labels: Partial<Record<T, string>> = {}): Promise<number> {
  const m = await c.get();
  return m.values
    .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
    .reduce((a, v) => a + v.value, 0);
}

export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
