import {
  ActivityCancellationType,
  allHandlersFinished,
  CancellationScope,
  condition,
  log,
  proxyActivities,
  setHandler,
  setWorkflowOptions,
  workflowInfo,
} from '@temporalio/workflow';
import type { createValidationActivities } from '../activities/validation';
import { DEFAULT_BARS } from '../lib/validation/criteria';
import { DayCheck, DayCheckInput, failedCheck, ValidationReport, ValidationState, verdictOf } from '../lib/validation/day-result';
import { abortSignal, checkNowSignal, DAY_MS, reportQuery, ValidationInput, ValidationResult } from './production-validation-api';

type Activities = ReturnType<typeof createValidationActivities>;

// A check reads a day of Prometheus and audits a day of the topic: minutes, with heartbeats. A
// check that keeps failing (Prometheus down for an hour) fails its day, not the validation.
const { checkValidationDay, validationBaseline } = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  // Explicit: `abort` must not wait for a check to notice it (the SDK's effective default, but say so).
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 5 },
});
const { writeValidationReport } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '10 seconds', maximumAttempts: 10 },
});

// Seven days on durable timers meet every deployment in between: a newer worker takes the run
// over at its next task (PINNED would keep the old workers alive until it ends). The worker's
// own default (issue 11) does not matter either way: this one is declared here.
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, productionValidation);

const iso = (ms: number) => new Date(ms).toISOString();
const reason = (err: unknown) => {
  const e = err as (Error & { cause?: Error }) | undefined;
  return e?.cause?.message ?? e?.message ?? String(err);
};
/** The snapshots are the next check's baseline; reports and queries leave them out. */
const withoutSnapshots = (days: DayCheck[]) => days.map(({ snapshot: _s, ...d }) => d);

/**
 * The plan's 7-day production validation: `days` checks, each `intervalMs` after the previous
 * one on a durable timer; each check is one activity whose result (figures, bars, pass/fail per
 * criterion, links to the evidence) is its own event in history. After every day and at the
 * end an activity writes the report; the result is the verdict and the report's path.
 */
export async function productionValidation(input: ValidationInput = {}): Promise<ValidationResult> {
  const plannedDays = input.days ?? 7;
  const intervalMs = input.intervalMs ?? DAY_MS;
  const bars = { ...DEFAULT_BARS, ...input.bars };
  const { workflowId } = workflowInfo();
  const startedAt = Date.now();
  const days: DayCheck[] = [];
  let state: ValidationState = 'running';
  let checkNow = false;
  let abortReason: string | undefined;
  let lastCheckAt = startedAt;
  const aborted = () => abortReason !== undefined;

  const report = (): ValidationReport => ({
    workflowId,
    buildId: input.buildId ?? null,
    state,
    startedAt: iso(startedAt),
    plannedDays,
    intervalHours: intervalMs / 3_600_000,
    nextCheckAt: state === 'running' ? iso(lastCheckAt + intervalMs) : null,
    bars,
    verdict: verdictOf(days, plannedDays, state, abortReason),
    abortReason: abortReason ?? null,
    days: withoutSnapshots(days),
  });
  setHandler(checkNowSignal, () => void (checkNow = true));
  setHandler(abortSignal, (why) => void (abortReason ??= why || 'abort signal'));
  setHandler(reportQuery, report);

  // Without Prometheus the first day is differenced against the workers as they are now.
  let baseline = await validationBaseline().catch((err) => {
    log.warn('no baseline of the workers\' metrics: the first day counts from their start', { error: reason(err) });
    return null;
  });

  while (days.length < plannedDays && !aborted()) {
    await condition(() => checkNow || aborted(), Math.max(1, lastCheckAt + intervalMs - Date.now()));
    if (aborted()) break;
    checkNow = false;
    const last = days[days.length - 1];
    const check: DayCheckInput = {
      day: days.length + 1,
      fromMs: lastCheckAt,
      toMs: Date.now(),
      bars,
      baseline,
      previousLastIds: last?.figures?.completeness ? Object.fromEntries(Object.entries(last.figures.completeness.symbols).map(([s, c]) => [s, c.lastId])) : undefined,
    };
    let result: DayCheck | undefined;
    const scope = new CancellationScope();
    const running = scope.run(() => checkValidationDay(check)).then(
      (r) => void (result = r),
      (err) => void (result = failedCheck(check, reason(err))),
    );
    await Promise.race([running, condition(aborted)]);
    if (aborted()) {
      scope.cancel();
      await running;
      break;
    }
    days.push(result!);
    if (result!.snapshot) baseline = result!.snapshot;
    lastCheckAt = check.toMs;
    if (!result!.pass && input.stopOnFailure) break;
    if (days.length < plannedDays) {
      await writeValidationReport(report()).catch((err) => log.warn('interim report not written', { error: reason(err) }));
    }
  }

  state = aborted() ? 'aborted' : days.length === plannedDays && days.every((d) => d.pass) ? 'passed' : 'failed';
  const final = report();
  const paths = await writeValidationReport(final);
  await condition(allHandlersFinished);
  return {
    verdict: state === 'passed' ? 'pass' : state === 'aborted' ? 'aborted' : 'fail',
    summary: final.verdict.summary,
    days: days.length,
    failedDays: final.verdict.failedDays,
    reportPath: paths.json,
    chartPath: paths.chart,
  };
}
