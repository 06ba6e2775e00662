import { NativeConnection, Worker } from '@temporalio/worker';
import { Duration } from '@temporalio/common';
import { Kafka } from 'kafkajs';
import { createActivities } from '../activities';
import { Config } from '../lib/config';
import { createKafka } from '../lib/kafka/client';
import { workflowBundle } from './workflow-bundle';

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
  close(): Promise<void>;
}

/** The stream worker: every workflow and activity of k2-stream on one task queue. */
export async function createStreamWorker(o: StreamWorkerOptions): Promise<StreamWorker> {
  const kafka = o.kafka ?? createKafka({ brokers: o.config.kafka_brokers, clientId: o.config.kafka_client_id });
  const connection = await NativeConnection.connect({ address: o.config.temporal_address });
  const worker = await Worker.create({
    connection,
    namespace: o.config.temporal_namespace,
    taskQueue: o.taskQueue ?? o.config.task_queue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ kafka }),
    shutdownGraceTime: o.shutdownGraceTime ?? '30 seconds',
  });
  return {
    worker,
    connection,
    async close() {
      await connection.close();
    },
  };
}
