import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DriverName } from '../lib/deploy/deploy-driver';

// The deployment's message names (`k2 deploy`, or `temporal workflow signal --name approve`).

export const approveSignal = defineSignal('approve');
export const abortSignal = defineSignal<[reason?: string]>('abort');
export const progressQuery = defineQuery<DeploymentProgress>('progress');

export interface DeploymentInput {
  /** Green: the build to deploy (a Worker Deployment version of `k2-stream`). */
  buildId: string;
  driver: DriverName;
  /** What to build (a git ref for the process driver); default: the current checkout. */
  source?: string;
  /** Wait for `approve` before the cutover. */
  manualApproval?: boolean;
  smokeMs: number;
  dualMs: number;
  validateMs: number;
  /** How often dual operation compares blue and green, and validation checks green. */
  checkEveryMs?: number;
  /** Green's RSS must stay below this during dual operation and validation. */
  maxGreenRssMb?: number;
  /** Extra settings for green's workers (environment variables), e.g. to point it elsewhere. */
  greenEnv?: Record<string, string>;
  requestedBy?: string;
  /** After a landing deployment, start the production validation of the new build (the plan's step 09). */
  validation?: { days?: number; intervalMs?: number };
}

export type StepName = 'preflight' | 'build' | 'start green' | 'smoke test' | 'dual operation' | 'approval' | 'cutover' | 'validation' | 'rollback' | 'finish';

export interface StepRecord {
  step: StepName;
  startedAt: string;
  endedAt?: string;
  ms?: number;
  ok?: boolean;
  summary?: string;
}

export interface SymbolComparison {
  symbol: string;
  blue: number;
  green: number;
  /** Ids one side wrote in the window and the other did not. */
  onlyBlue: number;
  onlyGreen: number;
}

export interface Comparison {
  at: string;
  windowMs: number;
  symbols: SymbolComparison[];
  latencyP99Ms: { blue: number | null; green: number | null };
  greenRssMb: number | null;
  greenErrors: string[];
  ok: boolean;
}

export type Outcome = 'deployed' | 'rolled back' | 'refused' | 'failed';

export interface DeploymentProgress {
  buildId: string;
  blueBuildId?: string;
  step: StepName;
  steps: StepRecord[];
  comparisons: Comparison[];
  liveSessions: string[];
  cutoverGapMs?: number;
  rollbackMs?: number;
  outcome?: Outcome;
  reason?: string;
  /** The productionValidation started for the new build, if any. */
  validationWorkflowId?: string;
}
