import { Config, ConfigError, loadConfig } from '../lib/config';
import { ConnectionSetupError } from '../lib/connection-errors';
import { workerRecordName } from '../lib/deploy/worker-records';
import { createLogger } from '../lib/logger';
import { MemoryMonitor } from '../lib/memory/memory-monitor';
import { collectProcessMetrics } from '../lib/metrics';
import { recordSelf } from '../ops/infra/process-control';
import { createStreamWorker } from './create-worker';
import { startMetricsServer } from './metrics-server';
import { installTemporalRuntime } from './temporal-runtime';
import { followSupervisor, reportBounds } from './worker-launch';
import { startWorkerReadiness, WorkerReadiness } from './worker-readiness';

const log = createLogger('worker');

/**
 * The production worker process: metrics on metrics_port, the SDK's own metrics on
 * temporal_metrics_port, the stream worker on its task queue. SIGINT/SIGTERM make running
 * streams flush and hand back their cursor before the worker drains and exits.
 */
export async function runStreamWorker(config: Config = loadConfig()): Promise<void> {
  // Port 0 turns the SDK's metrics endpoint off (tests run several workers on one host).
  installTemporalRuntime({
    metricsAddress: config.temporal_metrics_port ? `${config.metrics_host}:${config.temporal_metrics_port}` : undefined,
  });
  collectProcessMetrics();
  const memory = new MemoryMonitor(config.memory_sample_interval_seconds * 1000, config.memory_window_samples);
  memory.start();
  // /healthz answers while the workflow bundle builds, and /readyz says why it is not ready yet:
  // the server reads `readiness` before the worker exists.
  let readiness: WorkerReadiness | undefined = undefined;
  const metricsServer = await startMetricsServer(
    config.metrics_host,
    config.metrics_port,
    () => readiness?.status() ?? { ready: false, reason: 'temporal worker not running (not created yet)' },
  );
  const sw = await createStreamWorker({ config });
  readiness = startWorkerReadiness(sw, config);
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ event: 'worker.signal', signal });
    sw.shutdown();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  log.info({
    event: 'worker.started',
    taskQueue: config.task_queue,
    temporal: config.temporal_address,
    namespace: config.temporal_namespace,
    metrics: `http://${config.metrics_host}:${config.metrics_port}/metrics`,
  });
  try {
    await sw.worker.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    readiness.stop();
    await sw.close();
    memory.stop();
    metricsServer.close();
    log.info({ event: 'worker.stopped' });
  }
}

/**
 * The worker as a process of its own: `k2 worker`, or this file run by node (tests kill and
 * measure that pid, so it runs here and never relaunches itself; see worker-launch.ts).
 */
export async function runWorkerProcess(): Promise<void> {
  const config = loadConfig();
  reportBounds(config);
  followSupervisor();
  // Recorded under its build, so a deployment on this host can stop the old build's workers.
  const unrecord = recordSelf(workerRecordName(config.build_id, process.pid), process.argv.slice(1));
  try {
    await runStreamWorker(config);
  } finally {
    unrecord();
  }
}

if (require.main === module) {
  runWorkerProcess().catch((err: Error) => {
    log.error({ event: 'worker.failed', err: err.message });
    // 2: a setting must change (a bad value, a refused password or certificate), as `k2` exits.
    process.exit(err instanceof ConfigError || err instanceof ConnectionSetupError ? 2 : 1);
  });
}
