import type { Criterion, DayFigures, Expected, SettingsInForce, ValidationBars } from './criteria';
import type { WorkerSnapshot } from './evidence';

// A day's result as history records it, and the whole validation's report. Pure and free of
// Node imports: the workflow builds the failed day and the verdict from these.

export interface DayCheckInput {
  day: number;
  fromMs: number;
  toMs: number;
  bars: ValidationBars;
  /** Worker-metrics source: the snapshots of the previous check (or of the validation's start). */
  baseline?: WorkerSnapshot[] | null;
  /** Each symbol's last trade id in the previous day's records, so a hole across midnight counts too. */
  previousLastIds?: Record<string, number>;
}

export interface DayCheck {
  day: number;
  from: string;
  to: string;
  windowHours: number;
  source: 'prometheus' | 'worker-metrics' | 'none';
  settings: SettingsInForce | null;
  expected: Expected | null;
  figures: DayFigures | null;
  criteria: Criterion[];
  pass: boolean;
  links: { label: string; url: string }[];
  notes: string[];
  snapshot?: WorkerSnapshot[];
  /** The check itself could not run (after its retries): the day fails with this reason. */
  error?: string;
}

const hours = (fromMs: number, toMs: number) => Math.round(((toMs - fromMs) / 3_600_000) * 1000) / 1000;

/** The day of a check that could not run: failed, with the reason, nothing measured. */
export function failedCheck(i: Pick<DayCheckInput, 'day' | 'fromMs' | 'toMs'>, error: string): DayCheck {
  return {
    day: i.day,
    from: new Date(i.fromMs).toISOString(),
    to: new Date(i.toMs).toISOString(),
    windowHours: hours(i.fromMs, i.toMs),
    source: 'none',
    settings: null,
    expected: null,
    figures: null,
    criteria: [],
    pass: false,
    links: [],
    notes: [],
    error,
  };
}

export type ValidationState = 'running' | 'passed' | 'failed' | 'aborted';

export interface ValidationReport {
  workflowId: string;
  buildId: string | null;
  state: ValidationState;
  startedAt: string;
  plannedDays: number;
  intervalHours: number;
  nextCheckAt: string | null;
  bars: ValidationBars;
  verdict: {
    /** null while running. */
    pass: boolean | null;
    summary: string;
    failedDays: number[];
    /** Criteria no day could measure (e.g. alerts without Prometheus): not passed over, listed. */
    unmeasured: string[];
  };
  abortReason: string | null;
  days: DayCheck[];
}

/**
 * The verdict so far, or the final one: every planned day checked and none failed. Days that
 * failed stay failed even when later days pass.
 */
export function verdictOf(days: DayCheck[], plannedDays: number, state: ValidationState, abortReason?: string): ValidationReport['verdict'] {
  const failedDays = days.filter((d) => !d.pass).map((d) => d.day);
  const unmeasured = [...new Set(days.flatMap((d) => d.criteria.filter((c) => c.status === 'unmeasured').map((c) => c.name)))];
  const done = `${days.length}/${plannedDays} days checked`;
  const failed = failedDays.length ? `, failed: day ${failedDays.join(', ')}` : '';
  if (state === 'running') return { pass: null, summary: `running: ${done}${failed}`, failedDays, unmeasured };
  if (state === 'aborted') return { pass: false, summary: `aborted (${abortReason ?? 'no reason given'}) after ${done}${failed}`, failedDays, unmeasured };
  const pass = failedDays.length === 0 && days.length === plannedDays;
  return { pass, summary: `${pass ? 'PASS' : 'FAIL'}: ${done}${failed}${unmeasured.length ? `; not measured: ${unmeasured.join(', ')}` : ''}`, failedDays, unmeasured };
}
