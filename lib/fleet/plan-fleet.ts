import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { BinanceRestClient } from '../binance/rest-client';
import { createLogger } from '../logger';
import { planShards, Shard, shardWorkflowId, ShardPlan } from './shard-plan';
import { ExchangeSymbol, selectUniverse, Ticker24h, UniverseSpec } from './universe';

const log = createLogger('fleet');

export interface PlanFleetInput {
  universe: UniverseSpec;
  shardSize: number;
  sessionIdPrefix: string;
  shards: Shard[];
  formerShard?: Record<string, number>;
  /** The highest shard index the fleet ever used. */
  highestIndex?: number;
  /** The fleet has no shards yet: sessions `<prefix>-<n>` that already run (a fleet started again) are taken over as they are. */
  adoptRunning: boolean;
}

export interface PlanFleetResult extends ShardPlan {
  universeSize: number;
  missing: string[];
  adopted: number[];
}

/** Sessions probed past the last one found before giving up (numbers may have holes). */
const PROBE_PAST = 4;

/**
 * Running sessions of an earlier fleet with their symbols: planning around them keeps every
 * symbol on the session that streams it (a symbol on two sessions at once would be written twice).
 */
async function runningShards(client: Client, prefix: string, atLeast: number): Promise<Shard[]> {
  const shards: Shard[] = [];
  for (let index = 1, misses = 0; index <= atLeast || misses < PROBE_PAST; index++) {
    const workflowId = shardWorkflowId(prefix, index);
    const handle = client.workflow.getHandle(workflowId);
    try {
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING') {
        misses++;
        continue;
      }
      const status = await handle.query<{ symbols: string[] }>('status');
      shards.push({ index, workflowId, symbols: [...status.symbols].sort(), expectedRate: 0 });
      misses = 0;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      misses++;
    }
  }
  return shards;
}

/** Reads exchangeInfo and ticker/24hr, selects the universe and plans the shards around the current ones. */
export async function planFleet(rest: BinanceRestClient, client: Client, input: PlanFleetInput, signal?: AbortSignal): Promise<PlanFleetResult> {
  const symbols = await rest.exchangeSymbols<ExchangeSymbol>(signal);
  const tickers = await rest.tickers24h<Ticker24h>(signal);
  const { universe, missing } = selectUniverse(symbols, tickers, input.universe);
  if (universe.length === 0) throw new Error(`the universe is empty: no TRADING spot symbol matches ${JSON.stringify(input.universe)}`);
  let current = input.shards;
  let adopted: number[] = [];
  if (input.adoptRunning && current.length === 0) {
    current = await runningShards(client, input.sessionIdPrefix, Math.ceil(universe.length / input.shardSize));
    adopted = current.map((s) => s.index);
  }
  const plan = planShards(current, universe, { shardSize: input.shardSize, prefix: input.sessionIdPrefix, formerShard: input.formerShard, highestIndex: input.highestIndex });
  log.info({
    event: 'fleet.planned',
    universe: universe.length,
    shards: plan.shards.length,
    adopted,
    added: plan.added.length,
    removed: plan.removed,
    missing,
    rates: plan.shards.map((s) => +s.expectedRate.toFixed(2)),
  });
  return { ...plan, universeSize: universe.length, missing, adopted };
}
