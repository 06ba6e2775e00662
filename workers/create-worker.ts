import { Duration } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Kafka } from 'kafkajs';
import { createActivities } from '../activities';
import { createSchemaRegistry } from '../lib/avro/registry-client';
import { SerializerCache } from '../lib/avro/serializer';
import { Config } from '../lib/config';
import { checkConnections } from '../lib/connection-check';
import { adoptIfNoCurrent } from '../lib/deploy/worker-deployment';
import { createKafka } from '../lib/kafka/client';
import { createLogger } from '../lib/logger';
import { metrics } from '../lib/metrics';
import { readPemSetting } from '../lib/pem-file';
import { connectTemporalWorker } from '../lib/temporal/connection';
import { workflowBundle } from './workflow-bundle';

const log = createLogger('worker');

export interface StreamWorkerOptions {
  config: Config;
  /** Defaults to the configured task queue (`binance-stream`). */
  taskQueue?: string;
  kafka?: Kafka;
  /** How long a shutdown waits for running activities to flush and hand back their cursor. */
  shutdownGraceTime?: Duration;
}

export interface StreamWorker {
  worker: Worker;
  connection: NativeConnection;
  /** Tells running streams to flush and return their cursor, then drains the worker. */
  shutdown(): void;
  close(): Promise<void>;
}

/** The stream worker: every workflow and activity of k2-stream on one task queue. */
export async function createStreamWorker(o: StreamWorkerOptions): Promise<StreamWorker> {
  const { config } = o;
  const caBundle = readPemSetting('custom_ca_bundle', config.custom_ca_bundle);
  metrics.tlsVerify.set(config.ssl_verify ? 1 : 0);
  if (!config.ssl_verify) {
    log.warn(
      { event: 'tls.verification-disabled', setting: 'ssl_verify' },
      'TLS CERTIFICATE VERIFICATION IS OFF (ssl_verify=false): any server can pose as Binance. Use custom_ca_bundle instead.',
    );
  }
  // A refused password or certificate stops start-up here, naming the setting, instead of
  // failing every stream attempt later.
  await checkConnections(config, log);
  const kafka = o.kafka ?? createKafka(config);
  const shutdownController = new AbortController();
  const connection = await connectTemporalWorker(config);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal_namespace,
    taskQueue: o.taskQueue ?? config.task_queue,
    workflowBundle: await workflowBundle(config.workflow_bundle_path),
    activities: createActivities({
      config,
      kafka,
      serializers: new SerializerCache(config.serializer_cache_max_size, createSchemaRegistry(config)),
      workerShutdown: shutdownController.signal,
      caBundle,
    }),
    shutdownGraceTime: o.shutdownGraceTime ?? '45 seconds',
    // Each stream activity holds a connection for hours: this is how many sessions a worker hosts.
    maxConcurrentActivityTaskExecutions: config.max_sessions_per_worker,
    // Bounded here rather than left to the SDK, whose cache size follows the heap limit.
    workflowThreadPoolSize: config.workflow_thread_pool_size,
    maxCachedWorkflows: config.max_cached_workflows,
    // Cancellation reaches an activity only with a heartbeat response: keep them frequent so
    // a rotate or stop acts within a second or two, not after 80% of the heartbeat timeout.
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
    // A version of the Worker Deployment: a session moves to a new current version at its next
    // workflow task, which a rotation (continue-as-new) brings (docs/architecture.md, deployments).
    workerDeploymentOptions: {
      version: { deploymentName: config.deployment_name, buildId: config.build_id },
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    },
  });
  const taskQueue = o.taskQueue ?? config.task_queue;
  void adoptIfNoCurrent(connection.workflowService, config.temporal_namespace, config.deployment_name, config.build_id, {
    identity: `worker ${config.build_id}`,
    taskQueue,
    signal: shutdownController.signal,
    onWaiting: (current) =>
      log.info({ event: 'worker.standby', deployment: config.deployment_name, buildId: config.build_id, current }, `build ${current} is current and has workers: this worker (${config.build_id}) takes no session until a deployment makes it current`),
  }).then(
    (outcome) => log.info({ event: 'worker.version', deployment: config.deployment_name, buildId: config.build_id, outcome }),
    (err: Error) => {
      if (!shutdownController.signal.aborted) log.warn({ event: 'worker.version-unknown', deployment: config.deployment_name, buildId: config.build_id, err: err.message });
    },
  );
  return {
    worker,
    connection,
    shutdown() {
      if (!shutdownController.signal.aborted) {
        log.info({ event: 'worker.shutdown-requested' });
        shutdownController.abort();
      }
      if (worker.getState() === 'RUNNING') worker.shutdown();
    },
    async close() {
      await connection.close();
    },
  };
}
