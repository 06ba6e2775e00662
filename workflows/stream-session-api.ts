import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Cursor, CursorResets } from '../lib/pipeline/cursor';
import type { ProgressReport } from '../lib/pipeline/progress-report';
import type { RegressionState } from '../lib/gaps/gap-tracker';

// The stream session's message names are fixed: operators send them with the temporal CLI
// (`temporal workflow signal --workflow-id binance-stream --name rotate`).

export const rotateSignal = defineSignal<[reason?: string]>('rotate');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const stopSignal = defineSignal('stop');
/**
 * Resolves an id regression: the symbol's cursor restarts at `to` (the last id to count as
 * written), or with `to` unset at the next live trade. Takes effect with a rotation.
 */
export const resetCursorSignal = defineSignal<[reset: ResetCursorRequest]>('resetCursor');
/**
 * Sent by the streamTrades activity every few seconds so `status` is live; `rotation` names its
 * run. Bounded: at most a few symbols by name, the rest summed up (lib/pipeline/progress-report.ts).
 */
export const progressSignal = defineSignal<[progress: ProgressReport, rotation?: number]>('progress');
export const statusQuery = defineQuery<SessionStatus>('status');
/**
 * The symbols of the session's next run, sent by the fleet when listings change. Applied at the
 * next rotation (continue-as-new), so symbols that stay stream on without a gap; `applyNow`
 * rotates at once.
 */
export const setSymbolsSignal = defineSignal<[request: SetSymbolsRequest]>('setSymbols');

export interface SetSymbolsRequest {
  symbols: string[];
  applyNow?: boolean;
}

export interface ResetCursorRequest {
  symbol: string;
  to?: number | null;
}

export type SessionState = 'starting' | 'streaming' | 'rotating' | 'pausing' | 'paused' | 'stopping' | 'stopped';

export interface StreamSessionInput {
  symbols: string[];
  /** Per-symbol last trade id in Kafka; carried across rotations. */
  cursor?: Cursor;
  /** The cursor came from a progress report, not a finished run: check the topic's tail too. */
  cursorMayLag?: boolean;
  rotation?: number;
  /**
   * Overrides the worker's connection_max_lifetime_hours for this session (tests, demos);
   * normally unset, so a worker's setting applies from its next run on.
   */
  maxLifetimeMs?: number;
  heartbeatTimeoutMs: number;
  /** Trades written per symbol over all rotations. */
  totals?: Record<string, number>;
  startedAt?: string;
  paused?: boolean;
  /** False on a namespace where the custom search attributes are not registered. */
  searchAttributes?: boolean;
  lastRotationReason?: string;
  /** Operator cursor resets still in force (see CursorResets). */
  resets?: CursorResets;
  /** How the previous run ended, when it ended without a result (its worker died or lost it). */
  lastRunLost?: string;
  /** Topics of the session's own instead of the worker's (a deployment's shadow session). */
  topic?: string;
  dlqTopic?: string;
}

export interface SymbolStatus {
  /** `id_regression`: live ids fell far below the cursor; the symbol is held until reset-cursor. */
  state: 'ok' | 'id_regression';
  regression?: RegressionState;
  total: number;
  thisRun: number;
  lastId: number | undefined;
  lastTradeTime: string | undefined;
  /** Trades/s written between the run's last two progress reports. */
  ratePerSec?: number;
  /** How old the last written trade was (trade time) when the run last reported. */
  lagMs?: number;
  /**
   * Set when the run's latest report did not name the symbol (a session of more than a few
   * symbols, see `reported`): this run's figures are as of the last report that did.
   */
  asOf?: string;
}

/** All of a session's symbols together: exact, however many of them the reports name. */
export interface OverallStatus {
  symbols: number;
  total: number;
  thisRun: number;
  /** Trades/s written between the run's last two progress reports. */
  ratePerSec?: number;
  /** The newest trade written this run (trade time), and how old it was at the last report. */
  lastTradeTime?: string;
  lagMs?: number;
  /** Symbols without a trade written this run, once the run reported. */
  silent?: number;
  held: number;
}

export interface SessionStatus {
  state: SessionState;
  symbols: string[];
  rotation: number;
  lastRotationReason: string | undefined;
  connectedSince: string | undefined;
  /** When this run's first trade arrived: the end of a rotation's handover. */
  firstTradeAt: string | undefined;
  sessionStartedAt: string | undefined;
  perSymbol: Record<string, SymbolStatus>;
  overall: OverallStatus;
  /**
   * The symbols the run's latest report named, when it did not name them all (a session of more
   * than REPORT_SYMBOLS_MAX): held, lagging and the busiest.
   */
  reported?: string[];
  pipelineState: string | undefined;
  bufferDepth: number;
  reconnects: number;
  lastError: string | undefined;
  /**
   * Each symbol's last id as far as the workflow knows: the last finished run's, moved on by this
   * run's reports for the symbols they named (a run lost without a result hands over its last
   * heartbeat's, and the next run reads the topic's tail).
   */
  cursor: Cursor;
  /** The topic the running run writes, once it reported. */
  topic?: string;
  /** The build whose worker ran the workflow's latest task. */
  build?: string;
}
