import { Client, WorkflowExecutionAlreadyStartedError, WorkflowHandle } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../../lib/config';
import { checkShardSize, DEFAULT_SHARD_SIZE } from '../../lib/fleet/shard-plan';
import { streamFleet } from '../../workflows';
import { FLEET_SESSION_PREFIX, FLEET_WORKFLOW_ID, FleetInput, fleetStatusQuery, refreshSignal, stopFleetSignal } from '../../workflows/stream-fleet-api';
import { formatFleetTable, readShardRows } from '../fleet-status';
import { positiveNumber, symbolList } from '../options';
import { connectClient, ensureSearchAttributes } from '../session';

const shardSize = (v: string) => {
  try {
    return checkShardSize(Number(v));
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

interface IdFlag {
  fleetId: string;
}

interface StartFlags extends IdFlag {
  quote?: string[];
  symbols?: string[];
  shardSize: number;
  sessionPrefix: string;
  startSpacing: number;
  refreshHours: number;
}

/** Runs `body` with a handle on the fleet workflow, closing the connection after. */
async function withFleet<T>(fleetId: string, body: (handle: WorkflowHandle<typeof streamFleet>, client: Client, namespace: string) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const c = await connectClient(config);
  try {
    return await body(c.client.workflow.getHandle<typeof streamFleet>(fleetId), c.client, config.temporal_namespace);
  } finally {
    await c.connection.close();
  }
}

export function fleetCommand(): Command {
  const fleet = new Command('fleet').description('the whole market: a streamFleet workflow running one stream session per shard of symbols');
  const withId = (c: Command) => c.option('--fleet-id <id>', 'fleet workflow id', FLEET_WORKFLOW_ID);

  withId(fleet.command('start'))
    .description('start the fleet (or say it already runs): every TRADING spot symbol, or --quote / --symbols')
    .option('--quote <assets>', 'only symbols quoted in these assets (USDT,FDUSD,…)', symbolList)
    .option('--symbols <list>', 'exactly these symbols', symbolList)
    .option('--shard-size <n>', 'streams per connection (symbols per session), 1–1024', shardSize, DEFAULT_SHARD_SIZE)
    .option('--session-prefix <p>', 'sessions are <prefix>-<n>', FLEET_SESSION_PREFIX)
    .option('--start-spacing <s>', 'seconds between session starts (Binance: 300 new connections per 5 min per IP)', positiveNumber, 2)
    .option('--refresh-hours <h>', 'hours between universe refreshes', positiveNumber, 24)
    .action(async (f: StartFlags) => {
      const config = loadConfig();
      const { client, connection } = await connectClient(config);
      try {
        const input: FleetInput = {
          universe: { quoteAssets: f.quote, symbols: f.symbols },
          shardSize: f.shardSize,
          sessionIdPrefix: f.sessionPrefix,
          heartbeatTimeoutMs: config.heartbeat_timeout_seconds * 1000,
          startSpacingMs: f.startSpacing * 1000,
          refreshIntervalMs: f.refreshHours * 3600_000,
          searchAttributes: await ensureSearchAttributes(connection, config.temporal_namespace),
        };
        await client.workflow.start(streamFleet, { taskQueue: config.task_queue, workflowId: f.fleetId, args: [input] });
        console.log(`started ${f.fleetId} on task queue ${config.task_queue}: sessions ${f.sessionPrefix}-<n>, ${f.shardSize} symbols each; k2 fleet status`);
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        console.log(`already running: ${f.fleetId}`);
      } finally {
        await connection.close();
      }
    });

  withId(fleet.command('status'))
    .description('a row per shard (symbols, trades/s, lag, worker, state) and the total')
    .option('--json', 'print the fleet status and the rows as JSON')
    .action((f: IdFlag & { json?: boolean }) =>
      withFleet(f.fleetId, async (handle, client, namespace) => {
        const status = await handle.query(fleetStatusQuery);
        const rows = await readShardRows(client, namespace, status);
        console.log(f.json ? JSON.stringify({ ...status, rows }, null, 2) : formatFleetTable(status, rows));
      }),
    );

  withId(fleet.command('refresh'))
    .description("re-read the universe now: listings join, delistings leave at each session's next rotation")
    .option('--now', 'rotate the changed sessions at once')
    .action((f: IdFlag & { now?: boolean }) =>
      withFleet(f.fleetId, async (handle) => {
        await handle.signal(refreshSignal, { applyNow: !!f.now });
        console.log(`sent refresh to ${f.fleetId}`);
      }),
    );

  withId(fleet.command('stop'))
    .description('stop every session of the fleet (each drains and completes), then the fleet')
    .action((f: IdFlag) =>
      withFleet(f.fleetId, async (handle) => {
        await handle.signal(stopFleetSignal);
        const result = await handle.result();
        console.log(`stopped ${f.fleetId} and its ${result.shards.length} sessions`);
      }),
    );
  return fleet;
}
