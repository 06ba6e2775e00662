import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ValidationBars } from '../lib/validation/criteria';
import type { ValidationReport } from '../lib/validation/day-result';

// The production validation's message names are fixed, like the session's: operators send
// them with the temporal CLI (`temporal workflow signal --workflow-id validate-B --name checkNow`).

/** Run the next check now instead of at its time; the one after follows a full interval later. */
export const checkNowSignal = defineSignal('checkNow');
/** Stop the validation: the running check is cancelled, the report written, the verdict `aborted`. */
export const abortSignal = defineSignal<[reason?: string]>('abort');
/** The days so far and the verdict so far. */
export const reportQuery = defineQuery<ValidationReport>('report');

export const DAY_MS = 24 * 3_600_000;

export interface ValidationInput {
  /** The Worker Deployment build id under validation (the workflow id says it too). */
  buildId?: string;
  /** Number of checks (7). */
  days?: number;
  /** Time between checks (24 h). */
  intervalMs?: number;
  /** End at the first failed day instead of checking the rest. */
  stopOnFailure?: boolean;
  /** Bars other than the plan's (the expected rotations and pings always follow the settings). */
  bars?: Partial<ValidationBars>;
}

export interface ValidationResult {
  verdict: 'pass' | 'fail' | 'aborted';
  summary: string;
  days: number;
  failedDays: number[];
  /** The report's files, on the host of the worker that wrote them (also: `k2 validate report`). */
  reportPath: string;
  chartPath: string;
}

/** `validate-<build id>`, or `validate-<date>` (UTC) without one. */
export function validationWorkflowId(buildId: string | undefined, now: Date): string {
  return `validate-${buildId ?? now.toISOString().slice(0, 10)}`;
}
