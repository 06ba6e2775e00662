import { setWorkflowOptions } from '@temporalio/workflow';
import { streamSession } from './stream-session';
import type { SessionStatus, StreamSessionInput } from './stream-session-api';

/**
 * A deployment's shadow session: a stream session that runs only on the build it is pinned to
 * (green), into topics of its own. Its own workflow type, PINNED by definition: with only a
 * pinned override on an AUTO_UPGRADE type, server 1.29.1 was seen handing its activity to the
 * current version's workers (blue).
 */
export async function shadowSession(input: StreamSessionInput): Promise<SessionStatus> {
  return streamSession(input);
}

setWorkflowOptions({ versioningBehavior: 'PINNED' }, shadowSession);
