import { Command } from 'commander';
import { isExplicitlySet, loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { describeStatus, infraDown, infraUp, PartName } from '../../ops/infra/stack';
import { temporalDefaults } from '../../ops/infra/temporal';
import { createStreamWorker } from '../../workers/create-worker';
import { installTemporalRuntime } from '../../workers/temporal-runtime';

const log = createLogger('k2');

/**
 * The service as `npm start` runs it: local Temporal and Kafka unless TEMPORAL_ADDRESS /
 * KAFKA_BROKERS point elsewhere, then the stream worker. SIGINT/SIGTERM drain the worker and
 * stop exactly the parts this command started.
 */
export async function runService(): Promise<void> {
  const config = loadConfig();
  const local: PartName[] = [];
  if (!isExplicitlySet('temporal_address')) local.push('temporal');
  if (!isExplicitlySet('kafka_brokers')) local.push('kafka');
  const statuses = local.length ? await infraUp(local) : [];
  const started = statuses.filter((s) => s.state === 'started').map((s) => s.part);
  if (statuses.length) console.log(describeStatus(statuses));

  installTemporalRuntime({ metricsAddress: `${config.metrics_host}:${config.temporal_metrics_port}` });
  const { worker, close } = await createStreamWorker({ config });
  console.log(
    [
      `worker: task queue ${config.task_queue} on ${config.temporal_address} (namespace ${config.temporal_namespace})`,
      local.includes('temporal') ? `Temporal Web UI: http://${temporalDefaults.host}:${temporalDefaults.uiPort}` : '',
      `Kafka: ${config.kafka_brokers.join(',')}`,
      'Ctrl-C stops the worker and the local services this command started.',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  try {
    await worker.run();
  } finally {
    await close();
    if (started.length) {
      log.info({ event: 'service.stopping-infra', parts: started });
      console.log(describeStatus(await infraDown(started)));
    }
  }
}

export function startCommand(): Command {
  return new Command('start')
    .description('run the service: local infrastructure (unless pointed elsewhere) and the stream worker')
    .action(runService);
}
