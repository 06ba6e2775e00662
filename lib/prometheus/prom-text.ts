// The few lines of the Prometheus text format read from a worker's
// /metrics. Written by hand: the npm parsers for it are unmaintained, and the format the worker
// serves (prom-client) is the simple one — one `name{labels} value` per line, no timestamps.

export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

export type PromSamples = Map<string, PromSample[]>;

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePromText(text: string): PromSamples {
  const out: PromSamples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL)) labels[k] = v.replace(/\\(.)/g, '$1');
    let list = out.get(m[1]);
    if (!list) out.set(m[1], (list = []));
    list.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of a metric's series whose labels include `labels` (0 when absent). */
export function promValue(samples: PromSamples, name: string, labels: Record<string, string> = {}): number {
  return (samples.get(name) ?? [])
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + (Number.isFinite(s.value) ? s.value : 0), 0);
}

/** A counter's value per label value (e.g. reconnects by reason). */
export function promByLabel(samples: PromSamples, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples.get(name) ?? []) out[s.labels[label] ?? ''] = (out[s.labels[label] ?? ''] ?? 0) + s.value;
  return out;
}
