import { DeployDriver } from './deploy-driver';

/** An operator or an orchestrator builds and runs the workers; the deployment only waits for their pollers. */
export function externalDriver(): DeployDriver {
  return {
    name: 'external',
    build: async (buildId) => ({ buildId, artifact: 'built elsewhere', ms: 0 }),
    start: async (buildId) => ({ buildId, detail: 'started elsewhere: waiting for its pollers' }),
    stop: async (buildId) => `stopping ${buildId} is left to the operator`,
    rssMb: async () => undefined,
  };
}
