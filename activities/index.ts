import { Kafka } from 'kafkajs';
import { createFleetActivities } from './fleet';
import { createProbeActivities } from './kafka-probe';
import { createStreamActivities, StreamDeps } from './stream-trades';
import { createValidationActivities } from './validation';

export type ActivityDeps = StreamDeps & { kafka: Kafka };

/** All activities the stream worker registers, built over their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProbeActivities(deps.kafka),
    ...createStreamActivities(deps),
    ...createFleetActivities(deps),
    ...createValidationActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
