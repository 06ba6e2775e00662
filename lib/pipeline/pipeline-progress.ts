import type { RegressionState } from '../gaps/gap-tracker';
import type { Cursor } from './cursor';

// What a run reports about itself: heartbeats, progress signals and the activity's result carry
// it to the workflow, so these are types only (the workflow bundle imports them).

export type PipelineState = 'starting' | 'connecting' | 'streaming' | 'paused' | 'kafka_unavailable' | 'draining' | 'stopped';

/** Why a run stopped at once, without draining: it is no longer the session's writer. */
export type AbortReason = 'fenced' | 'attempt_timed_out' | 'attempt_not_found' | 'attempt_reset';

export interface SymbolProgress {
  /** Trades acknowledged by Kafka in this run. */
  count: number;
  lastId: number | undefined;
  lastTradeTimeUs: number | undefined;
}

export interface PipelineProgress {
  state: PipelineState;
  /** When the run took this snapshot (the worker's clock, ms): rates and lag are measured against it. */
  at?: number;
  /** The topic the run writes. */
  topic?: string;
  cursor: Cursor;
  symbols: Record<string, SymbolProgress>;
  connectedSince: number | undefined;
  firstTradeAt: number | undefined;
  bufferDepth: number;
  reconnects: number;
  gapsFilled: number;
  lastError: string | undefined;
  /** The run ended with records Kafka may hold but did not acknowledge: resume from the topic's tail. */
  cursorMayLag: boolean;
  /** Symbols held because their live ids fell far below their cursor. */
  regressions: Record<string, RegressionState>;
  /** Set when the run stopped at once without draining. */
  abortedBy?: AbortReason;
}
