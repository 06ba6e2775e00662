import { metrics } from '../metrics';

// The pipelines running in this process. Streaming is not readiness (a standby worker can take
// work as well as a busy one), so the count goes to /metrics and into /readyz's body only.
const live = new Set<object>();

export function registerPipeline(p: object): () => void {
  live.add(p);
  metrics.streamsActive.set(live.size);
  return () => {
    live.delete(p);
    metrics.streamsActive.set(live.size);
  };
}

/** Stream sessions whose activity runs in this process now. */
export function activeStreams(): number {
  return live.size;
}
