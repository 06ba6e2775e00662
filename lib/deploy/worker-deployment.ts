import { temporal } from '@temporalio/proto';
import { abortableSleep } from '../abortable-sleep';

// The Worker Deployment calls k2-stream makes (Temporal Worker Versioning; server ≥ 1.29.1). The
// SDK has no high-level deployment client, so these wrap the raw WorkflowService, which the
// client's Connection and the worker's NativeConnection both expose.

type Service = temporal.api.workflowservice.v1.WorkflowService;
const { RoutingConfigUpdateState, WorkerDeploymentVersionStatus } = temporal.api.enums.v1;

export interface DeploymentVersion {
  buildId: string;
  status: string;
}

export interface DeploymentState {
  /** Build id of the current version; undefined while there is none (or it is unversioned). */
  current: string | undefined;
  versions: DeploymentVersion[];
  conflictToken: Uint8Array | undefined;
  updating: boolean;
}

const NOT_FOUND = 5;

export async function describeDeployment(svc: Service, namespace: string, deploymentName: string): Promise<DeploymentState | undefined> {
  try {
    const r = await svc.describeWorkerDeployment({ namespace, deploymentName });
    const info = r.workerDeploymentInfo;
    return {
      current: info?.routingConfig?.currentDeploymentVersion?.buildId || undefined,
      versions: (info?.versionSummaries ?? []).map((v) => ({
        buildId: v.deploymentVersion?.buildId ?? '',
        status: WorkerDeploymentVersionStatus[v.status ?? 0]?.replace('WORKER_DEPLOYMENT_VERSION_STATUS_', '') ?? 'UNSPECIFIED',
      })),
      conflictToken: r.conflictToken ?? undefined,
      updating: info?.routingConfigUpdateState === RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS,
    };
  } catch (err) {
    if ((err as { code?: number }).code === NOT_FOUND) return undefined;
    throw err;
  }
}

/** Waits until the server has seen a poller of this version (a version unseen cannot become current). */
export async function waitForVersion(svc: Service, namespace: string, deploymentName: string, buildId: string, o: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const d = await describeDeployment(svc, namespace, deploymentName);
    if (d?.versions.some((v) => v.buildId === buildId)) return;
    if (Date.now() > deadline) throw new Error(`no poller of ${deploymentName} build ${buildId} seen within ${o.timeoutMs} ms`);
    await abortableSleep(500, o.signal);
  }
}

/**
 * Makes `buildId` the current version and waits until the routing change has reached every task
 * queue; returns the build id it replaced.
 */
export async function setCurrentVersion(svc: Service, namespace: string, deploymentName: string, buildId: string, identity: string): Promise<string | undefined> {
  const before = await describeDeployment(svc, namespace, deploymentName);
  if (before?.current === buildId) return buildId;
  await svc.setWorkerDeploymentCurrentVersion({ namespace, deploymentName, buildId, conflictToken: before?.conflictToken, identity, ignoreMissingTaskQueues: true });
  for (let i = 0; i < 600; i++) {
    const d = await describeDeployment(svc, namespace, deploymentName);
    if (d?.current === buildId && !d.updating) return before?.current;
    await abortableSleep(100);
  }
  throw new Error(`${deploymentName}: routing to ${buildId} did not complete within 60 s`);
}

/** Whether a worker of this build polled the task queue (its workflow or activity side, or only the one given) within `withinMs`. */
export async function buildHasPollers(svc: Service, namespace: string, taskQueue: string, buildId: string, withinMs: number, only?: 'activity'): Promise<boolean> {
  const { TaskQueueType } = temporal.api.enums.v1;
  const types = only === 'activity' ? [TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY] : [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY];
  for (const taskQueueType of types) {
    const r = await svc.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType });
    for (const p of r.pollers ?? []) {
      const at = Number(p.lastAccessTime?.seconds ?? 0) * 1000;
      if (p.deploymentOptions?.buildId === buildId && Date.now() - at < withinMs) return true;
    }
  }
  return false;
}

/**
 * A versioned worker gets no task until its deployment has a current version. A worker whose
 * deployment has none (a first install, `npm start`, a demo, a test) makes its own build current;
 * so does one whose current build has had no worker for `goneAfterMs` (the build is gone: a new
 * commit on a developer's machine, a crashed fleet). A worker joining a deployment whose current
 * build is alive changes nothing: switching is a deployment's job.
 */
export async function adoptIfNoCurrent(
  svc: Service,
  namespace: string,
  deploymentName: string,
  buildId: string,
  o: { identity: string; taskQueue: string; goneAfterMs?: number; timeoutMs?: number; signal?: AbortSignal; onWaiting?(current: string): void },
): Promise<'adopted' | 'current' | 'took over' | 'other'> {
  await waitForVersion(svc, namespace, deploymentName, buildId, { timeoutMs: o.timeoutMs ?? 60_000, signal: o.signal });
  const goneAfter = o.goneAfterMs ?? 60_000;
  let waited = false;
  for (;;) {
    const d = await describeDeployment(svc, namespace, deploymentName);
    if (d?.current === buildId) return 'current';
    const current = d?.current;
    if (current && (await buildHasPollers(svc, namespace, o.taskQueue, current, goneAfter))) {
      // Alive: unless it goes away, this worker stays a standby version (a deployment's green).
      if (waited) return 'other';
      waited = true;
      o.onWaiting?.(current);
      await abortableSleep(goneAfter, o.signal);
      continue;
    }
    try {
      await setCurrentVersion(svc, namespace, deploymentName, buildId, o.identity);
      return current ? 'took over' : 'adopted';
    } catch (err) {
      // Another worker won the race (the conflict token changed): fine if one is current now.
      const after = await describeDeployment(svc, namespace, deploymentName);
      if (after?.current) return after.current === buildId ? 'current' : 'other';
      throw err;
    }
  }
}

/** Which build runs a workflow's pending activity now (undefined when none runs). */
export async function pendingActivityBuild(svc: Service, namespace: string, workflowId: string): Promise<{ buildId: string | undefined; worker: string } | undefined> {
  const d = await svc.describeWorkflowExecution({ namespace, execution: { workflowId } });
  const a = d.pendingActivities?.find((p) => p.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED);
  if (!a) return undefined;
  return { buildId: a.lastDeploymentVersion?.buildId || undefined, worker: a.lastWorkerIdentity ?? '' };
}
