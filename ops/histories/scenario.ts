import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Config, SettingName } from '../../lib/config';
import type { BinanceSimulator, SimulatorOptions } from '../../simulator/simulator';
import type { streamSession } from '../../workflows/stream-session';
import type { SessionStatus, StreamSessionInput } from '../../workflows/stream-session-api';
import { waitUntil } from '../infra/readiness';

// What a recorded scenario is, and what it can do while it drives its workflow
// (ops/record-histories.ts records them; ./session-scenarios.ts and ./fleet-scenarios.ts are them).

/**
 * One fixture file: every run of one workflow, first to last, and of the workflows it started
 * (a fleet's sessions). A history is written as @temporalio/proto's `History.toObject` gives it
 * (int64 as strings, enums by name, bytes in base64) and read back with `History.fromObject`, not
 * with historyToJSON/historyFromJSON: those throw "type must be a Type" here, since
 * @temporalio/common and @temporalio/proto each get their own nested copy of protobufjs 8 (the
 * top-level one is 7, for the schema registry).
 */
export interface HistoryFixture {
  scenario: string;
  covers: string;
  workflowId: string;
  recordedAt: string;
  /** HEAD when recorded: the workflow code that wrote the histories (unless it had local changes). */
  commit: string;
  runs: Run[];
  /** Child workflows it started, each a workflow of its own with its runs. */
  children?: { workflowId: string; runs: Run[] }[];
}

export type Run = { runId: string; history: { events: Record<string, unknown>[] } };

export interface Recording {
  client: Client;
  sim: BinanceSimulator;
  /** The recorded workflow's id; a scenario's other workflows are named after it. */
  workflowId: string;
  /** The session's current run: signals and queries follow its continue-as-new chain. */
  handle: WorkflowHandle<typeof streamSession>;
  /** A session's status (the recorded one unless named). */
  status(workflowId?: string): Promise<SessionStatus>;
  waitFor(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** Until every symbol's last trade in `status` is newer than `since`, in the run current then. */
  streaming(since?: number, workflowId?: string): Promise<void>;
  /** SIGKILLs the child worker that runs the activity now; returns its pid. */
  killActivityWorker(): Promise<number>;
  activity(): Promise<{ pid?: number; attempt?: number }>;
}

export interface Scenario {
  name: string;
  /** What the histories show; `check` proves the recording does, or the fixture would claim too much. */
  covers: string;
  session?: Partial<StreamSessionInput>;
  /** The simulator's market, when not SYMBOLS at 20 trades/s each. */
  simulator?: Partial<SimulatorOptions>;
  /** Settings over the recorder's. */
  settings?: Partial<Record<SettingName, unknown>>;
  /** Workers as child processes, so the activity's worker can be killed; else one in this process. */
  childWorkers?: number;
  /** Starts the recorded workflow; returns its first run's id. A streamSession of SYMBOLS unless given. */
  start?(client: Client, config: Config, workflowId: string): Promise<string>;
  drive(r: Recording): Promise<void>;
  check(runs: Run[], children: NonNullable<HistoryFixture['children']>): boolean;
}

export const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'];
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Event kinds of a run in order, named as in the JSON (`activityTaskTimedOut`). */
export const kinds = (run: Run) => run.history.events.map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes'))?.replace(/EventAttributes$/, ''));
export const lastKind = (run: Run) => kinds(run).at(-1);
/** Signals a run received, but the activity's progress reports. */
export const signals = (run: Run) =>
  run.history.events.flatMap((e) => {
    const a = e.workflowExecutionSignaledEventAttributes as { signalName?: string } | undefined;
    return a?.signalName && a.signalName !== 'progress' ? [a.signalName] : [];
  });
export const continuesAsNew = (run: Run) => lastKind(run) === 'workflowExecutionContinuedAsNew';
export const completes = (run: Run | undefined) => !!run && lastKind(run) === 'workflowExecutionCompleted';

/**
 * Polls `check` until it holds. A failing check counts as not yet (a query meets a run that has
 * not started yet); the last error is kept for the timeout's message.
 */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  let lastError: Error | undefined;
  const probe = () => check().catch((err: Error) => ((lastError = err), false));
  await waitUntil(what, probe, { timeoutMs, intervalMs: 200 }).catch((err: Error) => {
    throw new Error(`${err.message}${lastError ? ` (last check failed: ${lastError.message})` : ''}`);
  });
}
