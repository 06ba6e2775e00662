import { NativeConnection, Worker } from '@temporalio/worker';
import { createDeployActivities } from '../activities/deploy';
import { Config } from '../lib/config';
import { changedSettingsEnv, configEnv } from '../lib/config-env';
import { composeDriver } from '../lib/deploy/compose-driver';
import { DeployDriver, DriverName } from '../lib/deploy/deploy-driver';
import { externalDriver } from '../lib/deploy/external-driver';
import { processDriver } from '../lib/deploy/process-driver';
import { createKafka } from '../lib/kafka/client';
import { connectTemporalWorker } from '../lib/temporal/connection';
import { workflowBundle } from './workflow-bundle';

export interface Deployer {
  worker: Worker;
  connection: NativeConnection;
  close(): Promise<void>;
}

/**
 * The deployer: an unversioned worker on `deploy_task_queue` that runs blueGreenDeployment and its
 * steps. It is not a version of the stream workers it switches between, so stopping blue or green
 * never stops the deployment; run it wherever the driver can reach the workers (the process
 * driver: the same host; the compose driver: where docker-compose reaches the engine).
 */
export async function createDeployer(config: Config, drivers: Partial<Record<DriverName, DeployDriver>> = {}): Promise<Deployer> {
  const connection = await connectTemporalWorker(config);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal_namespace,
    taskQueue: config.deploy_task_queue,
    workflowBundle: await workflowBundle(),
    activities: createDeployActivities({
      config,
      kafka: createKafka(config, { clientId: `${config.kafka_client_id}-deployer` }),
      // Green gets this deployer's settings: the same Temporal, Kafka, Binance and names.
      drivers: { process: processDriver(configEnv(config)), external: externalDriver(), compose: composeDriver({ settingsEnv: changedSettingsEnv(config) }), ...drivers },
    }),
  });
  return { worker, connection, close: () => connection.close() };
}

