import {
  ActivityCancellationType,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { StreamTradesResult, createStreamActivities } from '../activities/stream-trades';
import { mergeCursors } from '../lib/pipeline/cursor';
import type { PipelineProgress } from '../lib/pipeline/trade-pipeline';
import { StreamRotation, StreamState, StreamSymbols } from '../lib/search-attributes';
import {
  pauseSignal,
  progressSignal,
  resumeSignal,
  rotateSignal,
  SessionState,
  SessionStatus,
  statusQuery,
  stopSignal,
  StreamSessionInput,
} from './stream-session-api';

type Activities = ReturnType<typeof createStreamActivities>;

/**
 * One stream session: runs streamTrades until its connection lifetime ends or an operator asks,
 * then continues-as-new with the cursor (the rotation), so every run's history stays short and
 * each rotation is a visible step in the Web UI. Pause, resume and stop act between runs.
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
  let state: SessionState = 'starting';
  let paused = input.paused ?? false;
  let rotateReason: string | undefined;
  let pauseRequested = false;
  let stopRequested = false;
  let progress: PipelineProgress | undefined;

  const setState = (s: SessionState) => {
    state = s;
    if (input.searchAttributes !== false) {
      upsertSearchAttributes([
        { key: StreamState, value: s },
        { key: StreamRotation, value: rotation },
        { key: StreamSymbols, value: input.symbols },
      ]);
    }
  };

  setHandler(rotateSignal, (reason) => void (rotateReason = reason || 'signal'));
  setHandler(pauseSignal, () => {
    pauseRequested = true;
    paused = true;
  });
  setHandler(resumeSignal, () => {
    paused = false;
    pauseRequested = false;
  });
  setHandler(stopSignal, () => void (stopRequested = true));
  setHandler(progressSignal, (p, fromRotation) => {
    // A report the previous run sent just before it ended can land in this run: not ours.
    if (fromRotation !== undefined && fromRotation !== rotation) return;
    progress = p;
    cursor = mergeCursors(cursor, p.cursor);
    cursorMayLag = true;
  });
  setHandler(statusQuery, () => status());
  const startedAt = input.startedAt ?? new Date(workflowInfo().startTime).toISOString();
  const status = (): SessionStatus => {
    const perSymbol: SessionStatus['perSymbol'] = {};
    for (const s of input.symbols) {
      const p = progress?.symbols[s];
      perSymbol[s] = {
        total: (totals[s] ?? 0) + (p?.count ?? 0),
        thisRun: p?.count ?? 0,
        lastId: cursor[s],
        lastTradeTime: p?.lastTradeTimeUs ? new Date(p.lastTradeTimeUs / 1000).toISOString() : undefined,
      };
    }
    return {
      state,
      symbols: input.symbols,
      rotation,
      lastRotationReason: input.lastRotationReason,
      connectedSince: progress?.connectedSince ? new Date(progress.connectedSince).toISOString() : undefined,
      firstTradeAt: progress?.firstTradeAt ? new Date(progress.firstTradeAt).toISOString() : undefined,
      sessionStartedAt: startedAt,
      perSymbol,
      pipelineState: progress?.state,
      bufferDepth: progress?.bufferDepth ?? 0,
      reconnects: progress?.reconnects ?? 0,
      lastError: progress?.lastError,
      cursor,
    };
  };
  for (;;) {
    if (paused && !stopRequested) {
      setState('paused');
      await condition(() => !paused || stopRequested);
    }
    if (stopRequested) {
      setState('stopped');
      await condition(allHandlersFinished);
      return status();
    }

    setState('streaming');
    let result: StreamTradesResult | undefined;
    let failure: unknown;
    let finished = false;
    const scope = new CancellationScope();
    scope
      .run(() =>
        streamTrades({ symbols: input.symbols, cursor, cursorMayLag, rotation, maxLifetimeMs: input.maxLifetimeMs }),
      )
      .then(
        (r) => void (result = r),
        (err) => {
          if (!isCancellation(err)) failure = err;
        },
      )
      .finally(() => void (finished = true));

    await condition(
      () => finished || rotateReason !== undefined || pauseRequested || stopRequested || workflowInfo().continueAsNewSuggested,
    );
    if (!finished) {
      setState(stopRequested ? 'stopping' : pauseRequested ? 'pausing' : 'rotating');
      scope.cancel();
      await condition(() => finished);
    }
    if (failure) throw failure;
    if (result) {
      cursor = mergeCursors(cursor, result.cursor);
      cursorMayLag = result.cursorMayLag;
      for (const [s, n] of Object.entries(result.counts)) totals[s] = (totals[s] ?? 0) + n;
      progress = undefined;
    }
    if (stopRequested) continue;
    if (pauseRequested) {
      pauseRequested = false;
      continue;
    }
    setState('rotating');
    await condition(allHandlersFinished);
    const reason = rotateReason ?? (workflowInfo().continueAsNewSuggested ? 'history' : (result?.endedBy ?? 'lifetime'));
    return continueAsNew<typeof streamSession>({
      ...input,
      cursor,
      cursorMayLag,
      rotation: rotation + 1,
      totals,
      startedAt,
      paused: false,
      lastRotationReason: reason,
    });
  }
}
