import type { Client } from '@temporalio/client';
import type { SessionStatus } from '../workflows/stream-session-api';
import type { FleetStatus } from '../workflows/stream-fleet-api';

export interface ShardRow {
  index: number;
  workflowId: string;
  symbols: number;
  expectedRate: number;
  /** Trades/s over the session's current run, as its last progress report says. */
  tradesPerSecond: number | undefined;
  /** Seconds since the newest trade the session reported committed. */
  lagSeconds: number | undefined;
  worker: string | undefined;
  state: string;
}

/**
 * Trades this run and the newest trade's time (ms), all symbols: the session's `overall`, or
 * summed over `perSymbol` when a session of an older build answers (it names every symbol).
 */
function runOf(status: SessionStatus): { thisRun: number; newest: number | undefined } {
  if (status.overall) return { thisRun: status.overall.thisRun, newest: status.overall.lastTradeTime ? Date.parse(status.overall.lastTradeTime) : undefined };
  const symbols = Object.values(status.perSymbol);
  const times = symbols.map((p) => (p.lastTradeTime ? Date.parse(p.lastTradeTime) : NaN)).filter(Number.isFinite);
  return { thisRun: symbols.reduce((n, p) => n + p.thisRun, 0), newest: times.length ? Math.max(...times) : undefined };
}

/** One shard's row from its session's status and the identity of the worker running its activity. */
export function shardRow(shard: FleetStatus['shards'][number], status: SessionStatus | undefined, worker: string | undefined, nowMs: number): ShardRow {
  let tradesPerSecond: number | undefined;
  let lagSeconds: number | undefined;
  if (status) {
    const { thisRun, newest } = runOf(status);
    const since = status.firstTradeAt ? Date.parse(status.firstTradeAt) : undefined;
    if (newest !== undefined && since !== undefined && newest > since) tradesPerSecond = (thisRun * 1000) / (newest - since);
    if (newest !== undefined) lagSeconds = Math.max(0, (nowMs - newest) / 1000);
  }
  return {
    index: shard.index,
    workflowId: shard.workflowId,
    symbols: shard.symbols.length,
    expectedRate: shard.expectedRate,
    tradesPerSecond,
    lagSeconds,
    worker,
    state: !shard.started ? 'not started' : (status?.state ?? 'unknown'),
  };
}

const num = (v: number | undefined, digits: number) => (v === undefined ? '-' : v.toFixed(digits));

/** The table `k2 fleet status` prints: a row per shard and the total. */
export function formatFleetTable(fleet: Pick<FleetStatus, 'state' | 'symbols' | 'refreshes' | 'lastRefresh' | 'nextRefreshAt'>, rows: ShardRow[]): string {
  const header = ['shard', 'session', 'symbols', 'expected/s', 'trades/s', 'lag s', 'worker', 'state'];
  const body = rows.map((r) => [String(r.index), r.workflowId, String(r.symbols), num(r.expectedRate, 1), num(r.tradesPerSecond, 1), num(r.lagSeconds, 1), r.worker ?? '-', r.state]);
  const lags = rows.map((r) => r.lagSeconds).filter((v): v is number => v !== undefined);
  const sum = (xs: (number | undefined)[]) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);
  body.push([
    'total',
    `${rows.length} sessions`,
    String(sum(rows.map((r) => r.symbols))),
    num(sum(rows.map((r) => r.expectedRate)), 1),
    num(sum(rows.map((r) => r.tradesPerSecond)), 1),
    lags.length ? `max ${Math.max(...lags).toFixed(1)}` : '-',
    `${new Set(rows.map((r) => r.worker).filter(Boolean)).size} workers`,
    rows.filter((r) => r.state === 'streaming').length === rows.length ? 'all streaming' : `${rows.filter((r) => r.state === 'streaming').length} streaming`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 && i <= 5 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const refresh = fleet.lastRefresh
    ? `last refresh ${fleet.lastRefresh.at} (universe ${fleet.lastRefresh.universeSize}, +${fleet.lastRefresh.added.length} -${fleet.lastRefresh.removed.length}${fleet.lastRefresh.missing.length ? `, not trading: ${fleet.lastRefresh.missing.join(' ')}` : ''}), next ${fleet.nextRefreshAt ?? '-'}`
    : 'not planned yet';
  return [`fleet ${fleet.state}, ${fleet.symbols} symbols, ${fleet.refreshes} refreshes; ${refresh}`, line(header), ...body.map(line)].join('\n');
}

/** Each shard's session status and worker, read concurrently; a session that does not answer gets '-'. */
export async function readShardRows(client: Client, namespace: string, fleet: FleetStatus): Promise<ShardRow[]> {
  const now = Date.now();
  return Promise.all(
    fleet.shards.map(async (shard) => {
      if (!shard.started) return shardRow(shard, undefined, undefined, now);
      const handle = client.workflow.getHandle(shard.workflowId);
      const [status, worker] = await Promise.all([
        handle.query<SessionStatus>('status').catch(() => undefined),
        client.workflowService
          .describeWorkflowExecution({ namespace, execution: { workflowId: shard.workflowId } })
          .then((d) => d.pendingActivities?.[0]?.lastWorkerIdentity || undefined)
          .catch(() => undefined),
      ]);
      return shardRow(shard, status, worker, now);
    }),
  );
}
