import { ApplicationFailure } from '@temporalio/activity';
import { explainStreamError } from '../lib/connection-check';
import { createFleetActivities } from './fleet';
import { createStreamActivities, StreamDeps } from './stream-trades';
import { createValidationActivities } from './validation';

export type ActivityDeps = StreamDeps;

/** All activities the stream worker registers, built over their dependencies. */
export function createActivities(deps: ActivityDeps) {
  const stream = createStreamActivities(deps);
  return {
    ...stream,
    // A refused credential or certificate fails the attempt (retried, as any failure of the
    // session's stream) with the message naming the setting: the attempt's last failure in the
    // Web UI, `temporal workflow describe` and `k2 stream status` says what to fix.
    streamTrades: (input: Parameters<typeof stream.streamTrades>[0]) =>
      stream.streamTrades(input).catch((err: unknown) => {
        const refused = explainStreamError(deps.config, err);
        throw refused ? ApplicationFailure.retryable(refused.message, 'ConnectionRefused') : err;
      }),
    ...createFleetActivities(deps),
    ...createValidationActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
