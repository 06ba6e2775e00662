import { Client } from '@temporalio/client';
import { abortableSleep } from '../abortable-sleep';
import { rotateSignal, SessionStatus, statusQuery } from '../../workflows/stream-session-api';
import { pendingActivityBuild } from './worker-deployment';

/** A deployment's own shadow sessions are not live sessions. */
export const SHADOW_MARK = '-shadow-';

/** Running stream sessions on the task queue: what a deployment must move. */
export async function liveSessions(client: Client, taskQueue: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowType = 'streamSession' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'` })) {
    if (!w.workflowId.includes(SHADOW_MARK)) ids.push(w.workflowId);
  }
  return ids.sort();
}

export async function sessionStatus(client: Client, workflowId: string): Promise<SessionStatus> {
  return client.workflow.getHandle(workflowId).query(statusQuery);
}

export interface Moved {
  workflowId: string;
  /** Rotate signal to the first trade acknowledged on the new build (null: no trade came in time). */
  gapMs: number | null;
}

/**
 * Rotates each session and waits until its stream activity runs on `buildId` and has written
 * again. AUTO_UPGRADE sessions move at their next workflow task: the rotation's continue-as-new
 * runs on the current version, and its activity with it.
 */
export async function rotateOnto(
  client: Client,
  sessions: string[],
  buildId: string,
  o: { reason: string; timeoutMs: number; beat?(): void },
): Promise<Moved[]> {
  const namespace = client.options.namespace;
  return Promise.all(
    sessions.map(async (workflowId) => {
      const sentAt = Date.now();
      await client.workflow.getHandle(workflowId).signal(rotateSignal, o.reason);
      const deadline = sentAt + o.timeoutMs;
      let onBuild = false;
      for (;;) {
        o.beat?.();
        onBuild ||= (await pendingActivityBuild(client.workflowService, namespace, workflowId))?.buildId === buildId;
        if (onBuild) {
          const first = Date.parse((await sessionStatus(client, workflowId)).firstTradeAt ?? '');
          if (first >= sentAt) return { workflowId, gapMs: first - sentAt };
        }
        if (Date.now() > deadline) {
          if (onBuild) return { workflowId, gapMs: null };
          throw new Error(`${workflowId} did not move to build ${buildId} within ${o.timeoutMs} ms`);
        }
        await abortableSleep(250);
      }
    }),
  );
}
