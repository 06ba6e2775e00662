import { Kafka } from 'kafkajs';
import { createProbeActivities } from './kafka-probe';

export interface ActivityDeps {
  kafka: Kafka;
}

/** All activities the stream worker registers, built over their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProbeActivities(deps.kafka),
  };
}

export type Activities = ReturnType<typeof createActivities>;
