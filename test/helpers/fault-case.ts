import { isGrpcDeadlineError } from '@temporalio/client';
import { SettingName } from '../../lib/config';
import { SimulatorOptions } from '../../simulator/simulator';
import { statusQuery, stopSignal } from '../../workflows/stream-session-api';
import { eventually } from './metrics';
import { expectExactlyOnce, idsBySymbol, reachedTruth, StreamEnv, streamEnv } from './stream-env';
import { sleep } from './ws-client';

// One fault against the real Temporal server, Kafka and the simulator: stream a few hundred
// trades/s over three symbols, inject the fault, then read the topic independently and compare
// with the ids the simulator generated. Missing and duplicated must be zero, except where
// loss is by design (REST retention), and then exactly the reported range.

export const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'];

/** Short timeouts so the matrix runs in minutes; production-default cases override them. */
export const FAST_SETTINGS: Partial<Record<SettingName, unknown>> = {
  heartbeat_timeout_seconds: 5,
  health_check_timeout: 3,
  ping_interval_seconds: 2,
  ping_timeout_seconds: 2,
  reconnect_backoff_initial_ms: 200,
  reconnect_backoff_max_ms: 2_000,
};

export interface FaultCase {
  name: string;
  rate?: number;
  simulator?: Partial<SimulatorOptions>;
  /** Applied over FAST_SETTINGS, unless `productionDefaults`. */
  settings?: Partial<Record<SettingName, unknown>>;
  /** Run with the worker's default timeouts (heartbeat 20 s, health check 30 s, ping 180 s). */
  productionDefaults?: boolean;
  session?: { maxLifetimeMs?: number };
  childWorkers?: number;
  brokers?: string[];
  inject(env: StreamEnv): Promise<void>;
  /** The fault itself ends the session (it pauses the market and sends stop). */
  endsSession?: boolean;
  /** Retention case: the ids the pipeline reported lost. */
  expectUnrecoverable?: boolean;
  recoveryTimeoutMs?: number;
}

export interface FaultRow {
  case: string;
  emitted: number;
  written: number;
  missing: number;
  duplicated: number;
  unrecoverable: number;
  recoveryMs: number;
}

export async function runFaultCase(c: FaultCase): Promise<FaultRow> {
  const env = await streamEnv({
    simulator: { symbols: SYMBOLS.map((symbol) => ({ symbol, rate: c.rate ?? 100 })), ...c.simulator },
    settings: { ...(c.productionDefaults ? { reconnect_backoff_initial_ms: 200 } : FAST_SETTINGS), ...c.settings },
    childWorkers: !!c.childWorkers,
    brokers: c.brokers,
  });
  try {
    for (let i = 0; i < (c.childWorkers ?? 0); i++) env.spawnWorker();
    const handle = await env.start(c.session ?? {});
    // A query waits for a worker to answer it: one still starting, or just killed with the session
    // in its cache, leaves it unanswered until the server gives up. While waiting, that is "not yet".
    const lastTimes = async () =>
      Object.values((await handle.query(statusQuery).catch(unanswered))?.perSymbol ?? {}).map((p) => Date.parse(p.lastTradeTime ?? '') || 0);
    await eventually(async () => hasEvery(await lastTimes(), (t) => t > 0), 60_000, 'every symbol streaming');
    await sleep(1_500);
    const faultAt = Date.now();
    await c.inject(env);
    if (!c.endsSession) {
      await eventually(async () => hasEvery(await lastTimes(), (t) => t > faultAt), c.recoveryTimeoutMs ?? 60_000, 'trades from after the fault in Kafka');
    }
    const recoveryMs = Date.now() - faultAt;
    if (!c.endsSession) {
      await sleep(1_500);
      env.sim.pauseMarket();
      await sleep(300);
      await handle.signal(stopSignal);
    }
    const final = await handle.result();
    expect(final.state).toBe('stopped');

    const truth = Object.fromEntries(SYMBOLS.map((s) => [s, env.sim.groundTruth(s)!]));
    const trades = await env.trades((t) => reachedTruth(t, truth), 60_000);
    const reported = c.expectUnrecoverable ? (await env.dlqAll()).filter((d) => d.reason === 'unrecoverable_gap') : [];
    const r = expectExactlyOnce(trades, truth, { label: c.name, unrecoverable: reported });
    if (c.expectUnrecoverable) expect(r.unrecoverable).toBeGreaterThan(0);
    // The session's own account agrees with the topic: its cursor, and its totals even across lost runs.
    const written = idsBySymbol(trades);
    for (const s of SYMBOLS) {
      expect({ case: c.name, symbol: s, cursor: final.cursor[s], total: final.perSymbol[s].total }).toEqual({
        case: c.name,
        symbol: s,
        cursor: truth[s].lastId,
        total: written.get(s)?.length,
      });
    }
    return { case: c.name, ...r, recoveryMs };
  } finally {
    await env.teardown();
  }
}

/** A query no worker answered in time (DEADLINE_EXCEEDED): undefined; anything else is thrown. */
function unanswered(err: unknown): undefined {
  if (isGrpcDeadlineError(err)) return undefined;
  throw err;
}

/** Every value holds, and there is one per symbol (no answer yet is not "every"). */
const hasEvery = (times: number[], ok: (t: number) => boolean) => times.length === SYMBOLS.length && times.every(ok);

/** Kills (or freezes) the worker process the session's activity runs on; returns its pid. */
export async function signalActivityWorker(env: StreamEnv, signal: NodeJS.Signals): Promise<number> {
  let pid: number | undefined;
  await eventually(async () => (pid = await env.activityWorkerPid()) !== undefined, 10_000, 'the activity worker');
  const victim = env.children.find((c) => c.pid === pid);
  if (!victim) throw new Error(`activity runs on pid ${pid}, not one of ours`);
  if (signal === 'SIGKILL') await victim.kill('SIGKILL');
  else victim.process.kill(signal);
  return pid!;
}

const LANE_STAGGER_MS = 2_000;

/**
 * Runs independent cases side by side, `width` at a time: each is a session of its own (simulator,
 * topic, task queue, Worker Deployment, workers), and most of a case is waiting (a timeout, a
 * backoff, a drain), so they overlap well. They run inside one beforeAll and each case's test then
 * reports its outcome: jest 30 refuses to load a module while no test or hook runs ("outside of
 * the scope of the test code"), which is what test.concurrent leads to as soon as one case ends
 * while another still starts an in-process worker (webpack bundling the workflows, first seen so).
 * A case not done within `caseTimeoutMs` fails its test; its session is left to the server.
 * Selecting one case with `jest -t` runs its whole group (the hook cannot see the selection).
 */
export function sideBySide(cases: FaultCase[], o: { width: number; caseTimeoutMs: number }): { run(): Promise<void>; hookTimeoutMs: number; row(name: string): FaultRow } {
  const outcomes = new Map<string, { row?: FaultRow; error?: unknown }>();
  const runOne = async (c: FaultCase) => {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`case "${c.name}" did not finish within ${o.caseTimeoutMs} ms`)), o.caseTimeoutMs);
    });
    try {
      outcomes.set(c.name, { row: await Promise.race([runFaultCase(c), timeout]) });
    } catch (error) {
      outcomes.set(c.name, { error });
    } finally {
      clearTimeout(timer);
      process.stderr.write(`[fault matrix] ${c.name}: ${outcomes.get(c.name)?.error ? 'failed' : 'done'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }
  };
  return {
    async run() {
      const queue = [...cases];
      await Promise.all(
        Array.from({ length: Math.min(o.width, cases.length) }, async (_, lane) => {
          // Lanes start a little apart, so a dozen worker processes do not all start in the same second.
          await sleep(lane * LANE_STAGGER_MS);
          for (let c = queue.shift(); c; c = queue.shift()) await runOne(c);
        }),
      );
    },
    hookTimeoutMs: Math.ceil(cases.length / o.width) * o.caseTimeoutMs + 60_000,
    row(name) {
      const outcome = outcomes.get(name);
      if (!outcome) throw new Error(`case "${name}" did not run (see the matrix's beforeAll)`);
      if (outcome.error !== undefined) throw outcome.error;
      return outcome.row!;
    },
  };
}

/** The table of a matrix; with `cases`, rows in their order (cases side by side end in any order). */
export function printFaultTable(title: string, rows: FaultRow[], cases?: FaultCase[]): void {
  if (cases) rows = [...rows].sort((a, b) => cases.findIndex((c) => c.name === a.case) - cases.findIndex((c) => c.name === b.case));
  const header = ['case', 'emitted', 'written', 'missing', 'duplicated', 'unrecoverable', 'recovery s'];
  const body = rows.map((r) => [r.case, r.emitted, r.written, r.missing, r.duplicated, r.unrecoverable, (r.recoveryMs / 1000).toFixed(1)].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`\n${title}\n${line(header)}\n${body.map(line).join('\n')}\n`);
}
