import { ApplicationFailure, condition, ParentClosePolicy, proxyActivities, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import { productionValidation } from './production-validation';
import { validationWorkflowId } from './production-validation-api';
import type { createDeployActivities } from '../activities/deploy';
import {
  abortSignal,
  approveSignal,
  DeploymentInput,
  DeploymentProgress,
  Outcome,
  progressQuery,
  StepName,
  StepRecord,
} from './blue-green-api';

type Activities = ReturnType<typeof createDeployActivities>;

class RollBack extends Error {}

/**
 * The plan's step 08: deploy build `buildId` (green) next to the current one (blue) on Temporal
 * Worker Versioning, compare them on the same market, cut the live sessions over at their
 * rotation, validate, and roll back on any failure or `abort`. Every step is an activity whose
 * result is in history; every wait is a durable timer, so the deployer's own worker may restart
 * at any point and the deployment goes on where it was.
 */
export async function blueGreenDeployment(input: DeploymentInput): Promise<DeploymentProgress> {
  const short = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 3 } });
  // Building, starting green and switching sessions may take minutes; they heartbeat.
  const long = proxyActivities<Activities>({ startToCloseTimeout: '30 minutes', heartbeatTimeout: '1 minute', retry: { maximumAttempts: 3 } });

  const progress: DeploymentProgress = { buildId: input.buildId, step: 'preflight', steps: [], comparisons: [], liveSessions: [] };
  let approved = false;
  let abortReason: string | undefined;
  setHandler(approveSignal, () => void (approved = true));
  setHandler(abortSignal, (reason) => void (abortReason ??= reason || 'abort signal'));
  setHandler(progressQuery, () => progress);

  const step = async <T>(name: StepName, run: () => Promise<T>, summarize: (r: T) => { ok: boolean; summary: string }): Promise<T> => {
    progress.step = name;
    const record: StepRecord = { step: name, startedAt: new Date().toISOString() };
    progress.steps.push(record);
    const started = Date.now();
    try {
      const result = await run();
      Object.assign(record, summarize(result));
      return result;
    } catch (err) {
      Object.assign(record, { ok: false, summary: (err as Error).message });
      throw err;
    } finally {
      record.endedAt = new Date().toISOString();
      record.ms = Date.now() - started;
    }
  };
  /** A durable wait that an `abort` cuts short. */
  const hold = async (ms: number) => {
    if (await condition(() => abortReason !== undefined, ms)) throw new RollBack(`aborted: ${abortReason}`);
  };
  const end = (outcome: Outcome, reason?: string) => Object.assign(progress, { outcome, reason });

  const pre = await step('preflight', () => short.preflight({ buildId: input.buildId, workflowId: workflowInfo().workflowId }), (r) => ({
    ok: !r.refused,
    summary: r.refused ?? `blue ${r.blueBuildId}, ${r.liveSessions.length} live session(s)`,
  }));
  if (pre.refused) return end('refused', pre.refused);
  progress.blueBuildId = pre.blueBuildId;
  progress.liveSessions = pre.liveSessions;

  let greenStarted = false;
  let shadow: string | undefined;
  let cutoverDone = false;
  try {
    await step('build', () => long.build({ driver: input.driver, buildId: input.buildId, source: input.source }), (r) => ({ ok: true, summary: `${r.artifact} in ${r.ms} ms` }));
    greenStarted = true;
    await step('start green', () => long.startGreen({ driver: input.driver, buildId: input.buildId, env: input.greenEnv ?? {} }), (r) => ({ ok: true, summary: r.detail }));

    const smoke = await step(
      'smoke test',
      async () => {
        const started = await short.startShadow({ buildId: input.buildId, symbols: pre.symbols });
        shadow = started.workflowId;
        await hold(input.smokeMs);
        const r = await short.checkShadow({ workflowId: shadow, buildId: input.buildId });
        return started.redispatched?.length ? { ...r, summary: `${r.summary} (the shadow was started again: ${started.redispatched.join('; ')})` } : r;
      },
      (r) => ({ ok: r.ok, summary: r.summary }),
    );
    if (!smoke.ok) throw new RollBack(`smoke test failed: ${smoke.summary}`);

    const every = input.checkEveryMs ?? Math.max(1_000, input.dualMs / 5);
    await step(
      'dual operation',
      async () => {
        const until = Date.now() + input.dualMs;
        while (Date.now() < until) {
          const from = Date.now();
          await hold(Math.min(every, until - Date.now()));
          const c = await short.compare({ fromMs: from, toMs: Date.now(), driver: input.driver, buildId: input.buildId, shadowWorkflowId: shadow!, maxRssMb: input.maxGreenRssMb });
          progress.comparisons.push(c);
          if (!c.ok) throw new RollBack(`green differs from blue: ${JSON.stringify(c.symbols.filter((s) => s.onlyBlue || s.onlyGreen))} ${c.greenErrors.join('; ')}`);
        }
        return progress.comparisons.length;
      },
      (n) => ({ ok: true, summary: `${n} comparison(s), green equal to blue` }),
    );

    if (input.manualApproval) {
      await step('approval', async () => {
        await condition(() => approved || abortReason !== undefined);
        if (abortReason) throw new RollBack(`aborted: ${abortReason}`);
      }, () => ({ ok: true, summary: 'approved' }));
    }

    const cut = await step('cutover', () => long.cutover({ buildId: input.buildId, sessions: pre.liveSessions }), (r) => ({
      ok: true,
      summary: `green current (was ${r.previous}); sessions on green; gap ${r.gapMs} ms`,
    }));
    cutoverDone = true;
    progress.cutoverGapMs = cut.gapMs;
    await short.stopShadow({ workflowId: shadow! });
    shadow = undefined;
    const cutAt = Date.now();

    await step(
      'validation',
      async () => {
        const until = Date.now() + input.validateMs;
        let last = '';
        while (Date.now() < until) {
          await hold(Math.min(every, until - Date.now()));
          const v = await short.validate({ sinceMs: cutAt, sessions: pre.liveSessions, driver: input.driver, buildId: input.buildId, maxRssMb: input.maxGreenRssMb });
          if (!v.ok) throw new RollBack(`validation failed: ${v.summary}`);
          last = v.summary;
        }
        return last;
      },
      (summary) => ({ ok: true, summary }),
    );

    await step('finish', () => long.finish({ driver: input.driver, blueBuildId: pre.blueBuildId, sessions: pre.liveSessions }), (r) => ({ ok: true, summary: r.summary }));
    if (input.validation) {
      // Abandoned on close: the validation outlives the deployment by days, on the stream workers.
      const child = await startChild(productionValidation, {
        workflowId: validationWorkflowId(input.buildId, new Date()),
        taskQueue: pre.streamTaskQueue,
        parentClosePolicy: ParentClosePolicy.ABANDON,
        args: [{ buildId: input.buildId, ...input.validation }],
      });
      progress.validationWorkflowId = child.workflowId;
    }
    return end('deployed');
  } catch (err) {
    // Anything that went wrong — a failed check, an abort, an activity that gave up — rolls back.
    const reason = err instanceof RollBack ? err.message : `${(err as Error).message}${(err as { cause?: Error }).cause ? `: ${(err as { cause?: Error }).cause!.message}` : ''}`;
    const rb = await step(
      'rollback',
      () => long.rollback({ driver: input.driver, blueBuildId: pre.blueBuildId, buildId: input.buildId, sessions: pre.liveSessions, cutoverDone, shadowWorkflowId: shadow, stopGreen: greenStarted }),
      (r) => ({ ok: true, summary: r.summary }),
    ).catch((rollbackErr: Error) => {
      throw ApplicationFailure.nonRetryable(`rollback failed after "${reason}": ${rollbackErr.message}`, 'RollbackFailed');
    });
    progress.rollbackMs = rb.ms;
    return end('rolled back', reason);
  }
}
