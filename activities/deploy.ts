import { Context } from '@temporalio/activity';
import { Kafka } from 'kafkajs';
import { Config } from '../lib/config';
import { DeployDriver, DriverName } from '../lib/deploy/deploy-driver';
import { deploymentSteps, DeploymentSteps } from '../lib/deploy/deployment-steps';

export interface DeployDeps {
  config: Config;
  kafka: Kafka;
  drivers: Record<DriverName, DeployDriver>;
}

/** The deployment's steps as activities: each one builds its context from the activity's and runs the plain step. */
export function createDeployActivities(deps: DeployDeps) {
  const steps = (): DeploymentSteps => {
    const ctx = Context.current();
    return deploymentSteps({
      client: ctx.client,
      config: deps.config,
      kafka: deps.kafka,
      driver: (name) => deps.drivers[name],
      identity: `deployer ${ctx.info.workflowExecution?.workflowId ?? ''}`,
      beat: () => ctx.heartbeat(),
    });
  };
  type S = DeploymentSteps;
  return {
    preflight: (i: Parameters<S['preflight']>[0]) => steps().preflight(i),
    build: (i: Parameters<S['build']>[0]) => steps().build(i),
    startGreen: (i: Parameters<S['startGreen']>[0]) => steps().startGreen(i),
    startShadow: (i: Parameters<S['startShadow']>[0]) => steps().startShadow(i),
    checkShadow: (i: Parameters<S['checkShadow']>[0]) => steps().checkShadow(i),
    compare: (i: Parameters<S['compare']>[0]) => steps().compare(i),
    cutover: (i: Parameters<S['cutover']>[0]) => steps().cutover(i),
    stopShadow: (i: Parameters<S['stopShadow']>[0]) => steps().stopShadow(i),
    validate: (i: Parameters<S['validate']>[0]) => steps().validate(i),
    rollback: (i: Parameters<S['rollback']>[0]) => steps().rollback(i),
    finish: (i: Parameters<S['finish']>[0]) => steps().finish(i),
  };
}
