import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Shard } from '../lib/fleet/shard-plan';
import type { UniverseSpec } from '../lib/fleet/universe';

// The fleet's message names are fixed, like the session's: operators send them with the
// temporal CLI (`temporal workflow signal --workflow-id binance-fleet --name refresh`).

/** Re-read the universe now; `applyNow` rotates changed sessions at once instead of at their next rotation. */
export const refreshSignal = defineSignal<[request?: { applyNow?: boolean }]>('refresh');
/** Stop every session of the fleet (each drains and completes), then the fleet. */
export const stopFleetSignal = defineSignal('stop');
export const fleetStatusQuery = defineQuery<FleetStatus>('status');

export const FLEET_WORKFLOW_ID = 'binance-fleet';
export const FLEET_SESSION_PREFIX = 'binance-stream';

export interface FleetInput {
  universe: UniverseSpec;
  /** Streams per connection (a session's symbols): default 200, at most 1,024. */
  shardSize?: number;
  /** Sessions are `<prefix>-<n>` (default binance-stream); tests use prefixes of their own. */
  sessionIdPrefix?: string;
  heartbeatTimeoutMs: number;
  /** Passed to every session (tests); normally unset, so the workers' connection_max_lifetime_hours applies. */
  sessionMaxLifetimeMs?: number;
  /** Between universe refreshes (default 24 h). */
  refreshIntervalMs?: number;
  /**
   * Between two session starts. Binance allows 300 new connections per 5 minutes per IP: 2 s
   * keeps a fleet's starts within a third of that, leaving room for reconnects.
   */
  startSpacingMs?: number;
  /** False on a namespace where the custom search attributes are not registered. */
  searchAttributes?: boolean;

  // Carried across continue-as-new.
  shards?: Shard[];
  /** Shards whose session is planned but not started yet (a start is staggered). */
  unstarted?: number[];
  /** Where a delisted symbol streamed: should it return, it goes back there. */
  formerShard?: Record<string, number>;
  /** The highest shard index ever used: a new shard never takes a stopped one's id. */
  highestIndex?: number;
  nextRefreshAt?: number;
  refreshes?: number;
  lastRefresh?: FleetRefresh;
}

export interface FleetRefresh {
  at: string;
  universeSize: number;
  added: string[];
  removed: string[];
  /** Symbols named in the universe that are not trading. */
  missing: string[];
}

export type FleetState = 'planning' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface FleetStatus {
  state: FleetState;
  shardSize: number;
  shards: (Shard & { started: boolean })[];
  symbols: number;
  refreshes: number;
  lastRefresh: FleetRefresh | undefined;
  nextRefreshAt: string | undefined;
}
