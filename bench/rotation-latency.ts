import { Client } from '@temporalio/client';
import { connectTemporal } from '../lib/temporal/connection';
import { loadConfig } from '../lib/config';
import { startSimulator } from '../simulator/simulator';
import { createStreamWorker } from '../workers/create-worker';
import { installTemporalRuntime } from '../workers/temporal-runtime';
import { writeBenchReport } from './report';
import { streamSession } from '../workflows';
import { rotateSignal, statusQuery } from '../workflows/stream-session-api';

// Time from a `rotate` signal to the first trade on the new connection: the cancel reaching the
// activity, its flush, continue-as-new, the new activity, its connect. Needs local Temporal
// and Kafka (`npx k2 infra up`).

async function main() {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 8);
  installTemporalRuntime();
  const sim = await startSimulator({ symbols: ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'].map((symbol) => ({ symbol, rate: 100 })) });
  const suffix = Date.now().toString(36);
  const config = loadConfig(process.env, {
    binance_ws_urls: [sim.urls.ws],
    binance_rest_urls: [sim.urls.rest],
    kafka_topic: `bench.rotation.${suffix}`,
    kafka_dlq_topic: `bench.rotation.${suffix}.dlq`,
    task_queue: `bench-rotation-${suffix}`,
    deployment_name: `bench-rotation-${suffix}`,
    status_report_interval_seconds: 0.5,
  });
  const sw = await createStreamWorker({ config });
  const running = sw.worker.run();
  const connection = await connectTemporal(config);
  const client = new Client({ connection, namespace: config.temporal_namespace });
  const handle = await client.workflow.start(streamSession, {
    taskQueue: config.task_queue,
    workflowId: `bench-rotation-${suffix}`,
    args: [{ symbols: ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'], heartbeatTimeoutMs: 20_000, searchAttributes: false }],
  });
  const status = () => handle.query(statusQuery);
  const waitFor = async (ok: (s: Awaited<ReturnType<typeof status>>) => boolean) => {
    for (;;) {
      const s = await status();
      if (ok(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await waitFor((s) => !!s.firstTradeAt);
  const latencies: number[] = [];
  for (let i = 1; i <= rounds; i++) {
    await new Promise((r) => setTimeout(r, 1_500));
    const sentAt = Date.now();
    await handle.signal(rotateSignal, 'bench');
    const s = await waitFor((x) => x.rotation === i && !!x.firstTradeAt);
    const ms = Date.parse(s.firstTradeAt!) - sentAt;
    latencies.push(ms);
    process.stderr.write(`rotation ${i}/${rounds}: ${ms} ms from signal to first trade on the new connection, ETA ${(rounds - i) * 3} s\n`);
  }
  await handle.terminate('bench over');
  sw.shutdown();
  await running;
  await sw.close();
  await connection.close();
  await sim.stop();
  const sorted = [...latencies].sort((a, b) => a - b);
  const result = { rounds, medianMs: sorted[Math.floor(rounds / 2)], minMs: sorted[0], maxMs: sorted[rounds - 1], latencies };
  writeBenchReport('rotation-latency', result);
  console.log(`rotate signal → first trade on the new connection: median ${result.medianMs} ms, min ${result.minMs} ms, max ${result.maxMs} ms (${rounds} rotations)`);
}

void main();
