import { createStreamActivities, StreamDeps } from './stream-trades';
import { createValidationActivities } from './validation';

export type ActivityDeps = StreamDeps;

/** All activities the stream worker registers, built over their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createStreamActivities(deps),
    ...createValidationActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
