import {
  ActivityCancellationType,
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { StreamTradesInput, StreamTradesResult, createStreamActivities } from '../activities/stream-trades';
import { narrowToSymbols, validSymbolList } from '../lib/fleet/session-symbols';
import type { RegressionState } from '../lib/gaps/gap-tracker';
import { CursorResets, mergeCursors } from '../lib/pipeline/cursor';
import type { PipelineProgress } from '../lib/pipeline/pipeline-progress';
import { lastIds, latestSymbols, ProgressReport } from '../lib/pipeline/progress-report';
import { StreamRotation, StreamState, StreamSymbols } from '../lib/search-attributes';
import {
  pauseSignal,
  progressSignal,
  resetCursorSignal,
  ResetCursorRequest,
  resumeSignal,
  rotateSignal,
  SessionState,
  SessionStatus,
  setSymbolsSignal,
  statusQuery,
  stopSignal,
  StreamSessionInput,
} from './stream-session-api';
import { SeenSymbol, sessionDetails, sessionStatus } from './stream-session-status';

type Activities = ReturnType<typeof createStreamActivities>;

/** What the lost run's last attempt last heartbeat: its cursor and counts, every symbol. */
function lastHeartbeat(failure: unknown): PipelineProgress | undefined {
  const cause = failure instanceof ActivityFailure ? failure.cause : undefined;
  const details = cause instanceof TimeoutFailure ? (cause.lastHeartbeatDetails as PipelineProgress | undefined) : undefined;
  return details && typeof details === 'object' && details.symbols ? details : undefined;
}

/**
 * One stream session: runs streamTrades until its connection lifetime ends or an operator asks,
 * then continues-as-new with the cursor (the rotation), so every run's history stays short and
 * each rotation is a visible step in the Web UI. Pause, resume and stop act between runs.
 *
 * No worker can fail the session: a run whose activity ends without a result (its worker died
 * while a signal cancelled it) hands over a cursor that may lag, and the next run resumes from
 * the topic's tail, as a retried attempt would.
 */
export async function streamSession(input: StreamSessionInput): Promise<SessionStatus> {
  const { streamTrades } = proxyActivities<Activities>({
    // Binance cuts every connection at 24 h, so no run outlives that; a run ends itself at the
    // worker's connection_max_lifetime_hours (4 h by default).
    startToCloseTimeout: (input.maxLifetimeMs ?? 24 * 3600_000) + 15 * 60_000,
    heartbeatTimeout: input.heartbeatTimeoutMs,
    // The SDK's effective default is TRY_CANCEL, which would drop the cursor the activity returns.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // No maximumAttempts: retried until it succeeds.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  });

  let cursor = { ...(input.cursor ?? {}) };
  let cursorMayLag = input.cursorMayLag ?? false;
  const rotation = input.rotation ?? 0;
  const totals: Record<string, number> = { ...(input.totals ?? {}) };
  const resets: CursorResets = { ...(input.resets ?? {}) };
  const pendingResets: ResetCursorRequest[] = [];
  let regressions: Record<string, RegressionState> = {};
  let state: SessionState = 'starting';
  let paused = input.paused ?? false;
  let rotateReason: string | undefined;
  let pauseRequested = false;
  let stopRequested = false;
  let progress: ProgressReport | undefined;
  let previousProgress: ProgressReport | undefined;
  // A large session's reports name a few symbols each: what they said last about every symbol.
  let seen: Record<string, SeenSymbol> = {};
  let lastRunLost = input.lastRunLost;
  let nextSymbols: string[] | undefined;

  // The Web UI's current details, kept as current as `status`. No command: replay-safe.
  const showDetails = () => setCurrentDetails(sessionDetails(status()));
  const setState = (s: SessionState) => {
    state = s;
    showDetails();
    if (input.searchAttributes !== false) {
      upsertSearchAttributes([
        { key: StreamState, value: s },
        { key: StreamRotation, value: rotation },
        { key: StreamSymbols, value: input.symbols },
      ]);
    }
  };

  // A reset is in force until the session committed a trade of the symbol after it.
  const learnCursor = (c: Record<string, number> | undefined) => {
    cursor = mergeCursors(cursor, c);
    for (const [s, r] of Object.entries(resets)) if (cursor[s] !== undefined && cursor[s] > (r.to ?? -1)) delete resets[s];
  };
  const applyResets = () => {
    for (const { symbol, to } of pendingResets.splice(0)) {
      resets[symbol] = { to: to ?? null, from: resets[symbol]?.from ?? cursor[symbol] ?? null };
      if (to === undefined || to === null) delete cursor[symbol];
      else cursor[symbol] = to;
      delete regressions[symbol];
      log.info('cursor reset', { symbol, to, from: resets[symbol].from });
    }
  };

  setHandler(rotateSignal, (reason) => {
    // A paused session has no connection to rotate; resuming starts a fresh one anyway.
    if (paused) return;
    rotateReason = reason || 'signal';
  });
  setHandler(pauseSignal, () => {
    pauseRequested = true;
    paused = true;
  });
  setHandler(resumeSignal, () => {
    paused = false;
    pauseRequested = false;
  });
  setHandler(stopSignal, () => void (stopRequested = true));
  setHandler(resetCursorSignal, (request) => {
    if (!input.symbols.includes(request?.symbol)) {
      log.warn('reset-cursor for a symbol this session does not stream', { symbol: request?.symbol });
      return;
    }
    pendingResets.push(request);
    if (!paused) rotateReason ??= `reset-cursor ${request.symbol}`;
  });
  setHandler(progressSignal, (p, fromRotation) => {
    // A report the previous run sent just before it ended can land in this run: not ours.
    if (fromRotation !== undefined && fromRotation !== rotation) return;
    previousProgress = progress;
    progress = p;
    for (const [s, sp] of Object.entries(p.symbols)) seen[s] = { ...sp, at: p.at };
    // Reports of workers before the reports were bounded carry every symbol's cursor.
    learnCursor(p.cursor);
    learnCursor(lastIds(p.symbols));
    cursorMayLag = true;
    showDetails();
  });
  setHandler(setSymbolsSignal, (request) => {
    const symbols = validSymbolList(request?.symbols);
    if (!symbols) {
      log.warn('setSymbols without a list of symbols: ignored', { symbols: request?.symbols });
      return;
    }
    nextSymbols = symbols;
    if (request.applyNow && !paused) rotateReason ??= 'set-symbols';
  });
  setHandler(statusQuery, () => status());
  const startedAt = input.startedAt ?? new Date(workflowInfo().startTime).toISOString();
  const status = (): SessionStatus =>
    sessionStatus({
      state,
      symbols: input.symbols,
      rotation,
      lastRotationReason: input.lastRotationReason,
      startedAt,
      cursor,
      totals,
      progress,
      previousProgress,
      seen,
      regressions,
      resetting: pendingResets.map((r) => r.symbol),
      lastRunLost,
      build: workflowInfo().currentDeploymentVersion?.buildId,
    });

  /** What a run hands over; with no result, the trades its last report counted and a cursor that may lag. */
  const settle = (result: StreamTradesResult | undefined, failure: unknown) => {
    if (result) {
      learnCursor(result.cursor);
      cursorMayLag = result.cursorMayLag;
      for (const [s, n] of Object.entries(result.counts)) totals[s] = (totals[s] ?? 0) + n;
      regressions = { ...(result.regressions ?? {}) };
      lastRunLost = undefined;
    } else {
      cursorMayLag = true;
      // Per symbol the later of the reports and the last heartbeat (which names every symbol):
      // its count and last id go together, so the next run's tail read counts the rest once.
      const beat = lastHeartbeat(failure);
      const last = latestSymbols(seen, beat?.symbols);
      learnCursor(beat?.cursor);
      learnCursor(lastIds(last));
      for (const [s, p] of Object.entries(last)) totals[s] = (totals[s] ?? 0) + p.count;
      regressions = { ...(beat?.regressions ?? {}), ...(progress?.regressions ?? {}) };
      lastRunLost = `run ${rotation} ended without a result: ${(failure as Error)?.message ?? 'worker lost'}`;
      log.warn('run ended without a result; the next resumes from the topic tail', { error: lastRunLost });
    }
    progress = undefined;
    previousProgress = undefined;
    seen = {};
    showDetails();
  };
  const run = (extra: Partial<StreamTradesInput> = {}) =>
    streamTrades({
      symbols: input.symbols,
      cursor,
      cursorMayLag,
      rotation,
      maxLifetimeMs: input.maxLifetimeMs,
      ...(Object.keys(resets).length ? { resets } : {}),
      ...(input.topic ? { topic: input.topic, dlqTopic: input.dlqTopic } : {}),
      ...extra,
    });

  for (;;) {
    if (paused && !stopRequested) {
      setState('paused');
      await condition(() => !paused || stopRequested || pendingResets.length > 0);
      applyResets();
      continue;
    }
    if (stopRequested) {
      setState('stopped');
      await condition(allHandlersFinished);
      return status();
    }

    applyResets();
    setState('streaming');
    let result: StreamTradesResult | undefined;
    let failure: unknown;
    let cancelled = false;
    let finished = false;
    const scope = new CancellationScope();
    scope
      .run(() => run())
      .then(
        (r) => void (result = r),
        (err) => void (failure = err),
      )
      .finally(() => void (finished = true));

    await condition(
      () => finished || rotateReason !== undefined || pauseRequested || stopRequested || workflowInfo().continueAsNewSuggested,
    );
    if (!finished) {
      setState(stopRequested ? 'stopping' : pauseRequested ? 'pausing' : 'rotating');
      cancelled = true;
      scope.cancel();
      await condition(() => finished);
    }
    settle(result, failure);
    if (stopRequested && !result) {
      // `stop` promises a drain: the lost run could not give one, so catch up from REST now.
      let caughtUp: StreamTradesResult | undefined;
      let err: unknown;
      await run({ catchUpOnly: true }).then(
        (r) => void (caughtUp = r),
        (e) => void (err = e),
      );
      settle(caughtUp, err);
    }
    // Activities retry without limit, so a failure nobody cancelled is a bug, not a worker:
    // wait a little before the next run rather than spin.
    if (failure && !cancelled && !isCancellation(failure)) await sleep('10 seconds');
    if (stopRequested) continue;
    if (pauseRequested) {
      pauseRequested = false;
      continue;
    }
    setState('rotating');
    await condition(allHandlersFinished);
    applyResets();
    const reason = rotateReason ?? (workflowInfo().continueAsNewSuggested ? 'history' : failure ? 'run lost' : (result?.endedBy ?? 'lifetime'));
    return continueAsNew<typeof streamSession>({
      ...input,
      cursor,
      cursorMayLag,
      rotation: rotation + 1,
      totals,
      startedAt,
      paused: false,
      lastRotationReason: reason,
      resets,
      lastRunLost,
      // The fleet's new listings and delistings take effect with the new run.
      ...(nextSymbols ? narrowToSymbols({ cursor, totals, resets }, nextSymbols) : {}),
    });
  }
}
