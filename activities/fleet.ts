import { Context } from '@temporalio/activity';
import { BinanceRestClient } from '../lib/binance/rest-client';
import { Config } from '../lib/config';
import { planFleet, PlanFleetInput, PlanFleetResult } from '../lib/fleet/plan-fleet';

export interface FleetDeps {
  config: Config;
  caBundle?: string;
}

export function createFleetActivities(deps: FleetDeps) {
  const { config } = deps;
  return {
    /** The fleet's universe from exchangeInfo and ticker/24hr, split into shards around the current ones. */
    async planFleet(input: PlanFleetInput): Promise<PlanFleetResult> {
      const ctx = Context.current();
      const tls = { verify: config.ssl_verify, ca: deps.caBundle };
      const rest = new BinanceRestClient({
        baseUrls: config.binance_rest_urls,
        weightBudgetPerMinute: config.rest_weight_budget_per_minute,
        serverWeightLimit: config.rest_weight_limit_per_minute,
        tls,
      });
      try {
        return await planFleet(rest, ctx.client, input, ctx.cancellationSignal);
      } finally {
        rest.close();
      }
    },
  };
}
