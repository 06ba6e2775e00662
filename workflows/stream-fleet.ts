import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createFleetActivities } from '../activities/fleet';
import { DEFAULT_SHARD_SIZE, Shard, shardChanges } from '../lib/fleet/shard-plan';
import { FleetInput, FleetRefresh, FleetState, FleetStatus, fleetStatusQuery, FLEET_SESSION_PREFIX, refreshSignal, stopFleetSignal } from './stream-fleet-api';
import { setSymbolsSignal, stopSignal } from './stream-session-api';
import { streamSession } from './stream-session';

type FleetActivities = ReturnType<typeof createFleetActivities>;

const DAY_MS = 24 * 3600_000;
/** Continue-as-new past this many events, before the server's suggestion (a refresh adds ~5 per shard). */
const HISTORY_EVENTS_MAX = 5_000;

/**
 * The whole market: splits a symbol universe into shards and runs one streamSession per shard as
 * a child workflow (`<prefix>-<n>`, abandoned on close, so sessions outlive a fleet restart).
 * Every refreshIntervalMs (a durable timer) and on `refresh` it re-reads the universe: listings
 * join a shard and delistings leave it at that session's next rotation (setSymbols), so symbols
 * that stay stream on without a gap. Session starts are staggered (Binance's connection rate).
 */
export async function streamFleet(input: FleetInput): Promise<FleetStatus> {
  // A local activity: planning takes no stream slot of a worker (max_sessions_per_worker).
  const { planFleet } = proxyLocalActivities<FleetActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  const shardSize = input.shardSize ?? DEFAULT_SHARD_SIZE;
  const prefix = input.sessionIdPrefix ?? FLEET_SESSION_PREFIX;
  const refreshIntervalMs = input.refreshIntervalMs ?? DAY_MS;
  const spacingMs = input.startSpacingMs ?? 2_000;
  let shards: Shard[] = input.shards ?? [];
  const unstarted = new Set(input.unstarted ?? []);
  const formerShard: Record<string, number> = { ...(input.formerShard ?? {}) };
  let refreshes = input.refreshes ?? 0;
  let highestIndex = input.highestIndex ?? 0;
  let lastRefresh: FleetRefresh | undefined = input.lastRefresh;
  let nextRefreshAt = input.nextRefreshAt ?? Date.now();
  let state: FleetState = 'planning';
  let refreshRequested = input.shards === undefined;
  let applyNow = false;
  let stopRequested = false;

  setHandler(refreshSignal, (request) => {
    refreshRequested = true;
    applyNow ||= request?.applyNow === true;
  });
  setHandler(stopFleetSignal, () => void (stopRequested = true));
  const status = (): FleetStatus => ({
    state,
    shardSize,
    shards: shards.map((s) => ({ ...s, started: !unstarted.has(s.index) })),
    symbols: shards.reduce((n, s) => n + s.symbols.length, 0),
    refreshes,
    lastRefresh,
    nextRefreshAt: new Date(nextRefreshAt).toISOString(),
  });
  setHandler(fleetStatusQuery, status);

  const sessionInput = (shard: Shard) => ({
    symbols: shard.symbols,
    heartbeatTimeoutMs: input.heartbeatTimeoutMs,
    maxLifetimeMs: input.sessionMaxLifetimeMs,
    searchAttributes: input.searchAttributes,
  });
  /** A session of the new plan's symbols; one that already runs (a fleet started again) is told them instead. */
  const startShard = async (shard: Shard) => {
    try {
      await startChild(streamSession, { workflowId: shard.workflowId, parentClosePolicy: ParentClosePolicy.ABANDON, args: [sessionInput(shard)] });
      log.info('session started', { workflowId: shard.workflowId, symbols: shard.symbols.length });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      await tellSymbols(shard);
    }
  };
  const tellSymbols = async (shard: Shard) => {
    try {
      await getExternalWorkflowHandle(shard.workflowId).signal(setSymbolsSignal, { symbols: shard.symbols, applyNow });
    } catch (err) {
      // The session is gone (stopped, terminated): start it again with its symbols.
      log.warn('session not reachable; starting it', { workflowId: shard.workflowId, error: (err as Error).message });
      unstarted.add(shard.index);
    }
  };

  for (;;) {
    if (stopRequested) {
      state = 'stopping';
      for (const shard of shards) {
        if (unstarted.has(shard.index)) continue;
        await getExternalWorkflowHandle(shard.workflowId).signal(stopSignal).catch((err: Error) => log.warn('stop not delivered', { workflowId: shard.workflowId, error: err.message }));
      }
      state = 'stopped';
      return status();
    }
    if (refreshRequested) {
      refreshRequested = false;
      state = 'planning';
      const plan = await planFleet({ universe: input.universe, shardSize, sessionIdPrefix: prefix, shards, formerShard, highestIndex, adoptRunning: shards.length === 0 });
      const { start, update } = shardChanges(shards, plan.shards);
      for (const symbol of plan.removed) {
        const from = shards.find((s) => s.symbols.includes(symbol));
        if (from) formerShard[symbol] = from.index;
      }
      for (const symbol of plan.added) delete formerShard[symbol];
      shards = plan.shards;
      highestIndex = Math.max(highestIndex, ...shards.map((s) => s.index), ...plan.emptied.map((s) => s.index));
      for (const s of start) unstarted.add(s.index);
      for (const s of update) await tellSymbols(s);
      for (const s of plan.emptied) {
        unstarted.delete(s.index);
        await getExternalWorkflowHandle(s.workflowId).signal(stopSignal).catch(() => undefined);
      }
      refreshes++;
      lastRefresh = { at: new Date().toISOString(), universeSize: plan.universeSize, added: plan.added, removed: plan.removed, missing: plan.missing };
      nextRefreshAt = Date.now() + refreshIntervalMs;
      applyNow = false;
      log.info('universe refreshed', { universe: plan.universeSize, shards: shards.length, added: plan.added.length, removed: plan.removed.length });
    }
    state = 'starting';
    for (const shard of shards.filter((s) => unstarted.has(s.index))) {
      if (stopRequested) break;
      // Before the start: a session that cannot be told its symbols puts itself back.
      unstarted.delete(shard.index);
      await startShard(shard);
      if (unstarted.size) await sleep(spacingMs);
    }
    state = 'running';
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > HISTORY_EVENTS_MAX) {
      return continueAsNew<typeof streamFleet>({ ...input, shards, unstarted: [...unstarted], formerShard, highestIndex, nextRefreshAt, refreshes, lastRefresh });
    }
    const woken = await condition(() => refreshRequested || stopRequested || unstarted.size > 0, Math.max(1, nextRefreshAt - Date.now()));
    if (!woken) refreshRequested = true;
  }
}
