import { Config } from '../lib/config';

/** The settings that name where a session writes and how it is found; the demo replaces all of them. */
export type DemoNames = Pick<Config, 'workflow_id' | 'task_queue' | 'kafka_topic' | 'kafka_dlq_topic' | 'deployment_name' | 'deploy_task_queue'>;

/**
 * The demo's names, derived from the configured ones so that they never are the configured
 * ones: a demo on the production session once made simulator ids (~1.7e14) its cursor, and
 * every real trade after it was dropped as a duplicate. The task queue is derived too: on a
 * shared queue a production worker would run the demo's session and the demo's worker
 * production's, which mixes the two id spaces all the same. Its Worker Deployment and deployment
 * queue too, so a deployment of the demo (`k2 deploy start --demo`) never switches production's.
 */
export function demoNames(config: Config): DemoNames {
  return {
    workflow_id: `${config.workflow_id}-demo`,
    task_queue: `${config.task_queue}-demo`,
    kafka_topic: `demo.${config.kafka_topic}`,
    kafka_dlq_topic: `demo.${config.kafka_dlq_topic}`,
    deployment_name: `${config.deployment_name}-demo`,
    deploy_task_queue: `${config.deploy_task_queue}-demo`,
  };
}
