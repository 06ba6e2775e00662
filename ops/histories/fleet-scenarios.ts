import type { Client } from '@temporalio/client';
import type { Config } from '../../lib/config';
import type { ProgressReport } from '../../lib/pipeline/progress-report';
import { binanceMix } from '../../simulator/profiles';
import { binanceUniverse } from '../../simulator/universe';
import type { streamFleet } from '../../workflows/stream-fleet';
import { FleetStatus, fleetStatusQuery, refreshSignal, stopFleetSignal } from '../../workflows/stream-fleet-api';
import { continuesAsNew, kinds, Recording, Run, Scenario, signals, sleep } from './scenario';

// The streamFleet scenario: a fleet over a simulator universe, its sessions recorded with it.

const UNIVERSE = binanceUniverse(40);
const SHARD_SIZE = 20;
const LISTED = ['NEWAUSDT', 'NEWBUSDT'];

const count = (run: Run, kind: string) => kinds(run).filter((k) => k === kind).length;

/** Progress reports a run received that name fewer symbols than the run streams (a large session's). */
function partialReports(run: Run): number {
  return run.history.events.filter((e) => {
    const a = e.workflowExecutionSignaledEventAttributes as { signalName?: string; input?: { payloads?: { data?: string }[] } } | undefined;
    if (a?.signalName !== 'progress' || !a.input?.payloads?.[0]?.data) return false;
    const report = JSON.parse(Buffer.from(a.input.payloads[0].data, 'base64').toString('utf8')) as ProgressReport;
    return report.overall !== undefined && Object.keys(report.symbols).length < report.overall.symbols;
  }).length;
}

async function startFleet(client: Client, config: Config, workflowId: string): Promise<string> {
  const handle = await client.workflow.start<typeof streamFleet>('streamFleet', {
    taskQueue: config.task_queue,
    workflowId,
    args: [{ universe: {}, shardSize: SHARD_SIZE, sessionIdPrefix: `${workflowId}-s`, heartbeatTimeoutMs: config.heartbeat_timeout_seconds * 1000, startSpacingMs: 500 }],
  });
  return handle.firstExecutionRunId;
}

async function driveFleet(r: Recording): Promise<void> {
  const fleet = r.client.workflow.getHandle<typeof streamFleet>(r.workflowId);
  const status = (): Promise<FleetStatus> => fleet.query(fleetStatusQuery);
  const streaming = async (ids: string[]) => (await Promise.all(ids.map((id) => r.status(id)))).every((s) => s.state === 'streaming' && s.firstTradeAt !== undefined);
  const completed = async (id: string) => (await r.client.workflow.getHandle(id).describe()).status.name === 'COMPLETED';

  await r.waitFor('two sessions streaming', async () => {
    const { shards } = await status();
    return shards.length === 2 && shards.every((s) => s.started) && (await streaming(shards.map((s) => s.workflowId)));
  }, 120_000);
  const [first, second] = (await status()).shards;
  // A few progress reports in each session's first run.
  await sleep(5_000);

  // A delisting in the first shard and two listings: more symbols than two shards hold, so a
  // third shard starts; applyNow rotates the first session onto its new symbols at once.
  const delisted = first.symbols[0];
  r.sim.delist(delisted);
  for (const symbol of LISTED) r.sim.list(symbol, 2);
  await fleet.signal(refreshSignal, { applyNow: true });
  let third: FleetStatus['shards'][number] | undefined;
  await r.waitFor('the third session streaming, the first on its new symbols', async () => {
    third = (await status()).shards.find((s) => s.index !== first.index && s.index !== second.index);
    const firstNow = await r.status(first.workflowId);
    return !!third?.started && firstNow.rotation >= 1 && !firstNow.symbols.includes(delisted) && (await streaming([first.workflowId, third.workflowId]));
  }, 120_000);

  // The third shard's symbols delisted: it empties and its session is stopped; in the same
  // refresh a delisting in the second shard sends it setSymbols (for its next rotation).
  for (const symbol of [...third!.symbols, second.symbols[0]]) r.sim.delist(symbol);
  await fleet.signal(refreshSignal);
  await r.waitFor('the emptied session stopped', () => completed(third!.workflowId));
  await fleet.signal(stopFleetSignal);
}

export const fleetScenarios: Scenario[] = [
  {
    name: 'fleet',
    covers:
      'streamFleet over 40 simulator symbols in shards of 20: planned (local activity), two sessions started 0.5 s apart; a refresh (applyNow) after a delisting and two listings sends setSymbols to the first session (which rotates onto them) and starts a third; a refresh after the third shard\'s symbols and one of the second\'s were delisted stops the third session and sends setSymbols to the second; stop stops the others. The three sessions are recorded too; the progress reports of the first two name a few of their 20 symbols each',
    simulator: { symbols: binanceMix(UNIVERSE, 40), history: true },
    // Fewer reports than the sessions' scenarios: three sessions' histories are in the fixture.
    settings: { status_report_interval_seconds: 2 },
    start: startFleet,
    drive: driveFleet,
    check(runs, children) {
      const fleet = runs[0];
      const session = (n: number) => children.find((c) => c.workflowId.endsWith(`-s-${n}`))?.runs ?? [];
      return (
        runs.length === 1 &&
        signals(fleet).join() === 'refresh,refresh,stop' &&
        count(fleet, 'startChildWorkflowExecutionInitiated') === 3 &&
        count(fleet, 'signalExternalWorkflowExecutionInitiated') >= 5 &&
        children.length === 3 &&
        session(1).length >= 2 &&
        continuesAsNew(session(1)[0]) &&
        signals(session(1)[0]).includes('setSymbols') &&
        signals(session(2)[0]).join() === 'setSymbols,stop' &&
        signals(session(3).at(-1)!).includes('stop') &&
        [1, 2].every((n) => partialReports(session(n)[0]) >= 2)
      );
    },
  },
];
