import { Gauge } from 'prom-client';

// Loaded into the measured worker with --require by bench/worker-memory.ts: adds to /metrics
// what prom-client's process metrics leave out (the same registry, since the path resolves to
// the same prom-client module).
new Gauge({
  name: 'bench_array_buffers_bytes',
  help: 'ArrayBuffer and Buffer memory of the main isolate (part of nodejs_external_memory_bytes)',
  collect() {
    this.set(process.memoryUsage().arrayBuffers);
  },
});
