import type { PipelineProgress } from './trade-pipeline';

// The pipelines running in this process, so the worker's /readyz can say whether it streams.
const live = new Set<{ progress(): PipelineProgress }>();

export function registerPipeline(p: { progress(): PipelineProgress }): () => void {
  live.add(p);
  return () => live.delete(p);
}

/** Ready: at least one pipeline is connected and Kafka took a trade in the last `freshMs`. */
export function readiness(freshMs = 60_000): { ready: boolean; reason: string } {
  if (live.size === 0) return { ready: false, reason: 'no stream running on this worker' };
  for (const p of live) {
    const s = p.progress();
    if (s.state !== 'streaming') continue;
    const newest = Math.max(0, ...Object.values(s.symbols).map((x) => (x.lastTradeTimeUs ?? 0) / 1000));
    if (Date.now() - newest <= freshMs) return { ready: true, reason: 'streaming' };
  }
  const states = [...live].map((p) => p.progress());
  const s = states[0];
  return { ready: false, reason: `state ${s.state}${s.lastError ? `: ${s.lastError}` : ''}` };
}
