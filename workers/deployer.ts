import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createDeployer } from './create-deployer';

const log = createLogger('deployer');

/** `k2 deployer`: the deployer worker until SIGINT/SIGTERM. */
export async function runDeployer(config = loadConfig()): Promise<void> {
  const d = await createDeployer(config);
  // The SDK's own signal handling may have begun the shutdown already.
  const stop = () => d.worker.getState() === 'RUNNING' && d.worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  log.info({ event: 'deployer.started', taskQueue: config.deploy_task_queue, deployment: config.deployment_name });
  try {
    await d.worker.run();
  } finally {
    await d.close();
    log.info({ event: 'deployer.stopped' });
  }
}
