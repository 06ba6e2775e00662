import { metrics } from '../../lib/metrics';
import { stopSignal } from '../../workflows/stream-session-api';
import { compareIds, idsBySymbol, reachedTruth, StreamEnv, streamEnv } from '../helpers/stream-env';
import { counter, eventually, reconnects } from '../helpers/metrics';

// One session through a series of connection faults; each must end in a reconnect for the
// right reason, and at the end nothing may be missing or written twice.
let env: StreamEnv;
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];

beforeAll(async () => {
  env = await streamEnv({
    simulator: { symbols: SYMBOLS.map((symbol) => ({ symbol, rate: 50 })) },
    settings: { health_check_timeout: 2, ping_interval_seconds: 1, ping_timeout_seconds: 1, reconnect_backoff_initial_ms: 100 },
  });
  await env.start();
  await eventually(async () => (await counter(metrics.tradesProduced)) > 50, 20_000, 'first trades in Kafka');
});
afterAll(() => env.teardown());

test('a stalled connection (open, pings answered, no data) is replaced after health_check_timeout', async () => {
  const before = await reconnects('data_silence');
  const t0 = Date.now();
  env.sim.inject({ type: 'stall', ms: 4_000 });
  await eventually(async () => (await reconnects('data_silence')) > before, 10_000, 'data_silence reconnect');
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
  env.sim.inject({ type: 'clear' });
});

test('a missing pong reconnects after ping_timeout_seconds and is counted', async () => {
  const before = await reconnects('pong_timeout');
  const timeouts = await counter(metrics.pongTimeouts);
  env.sim.inject({ type: 'no-pong', ms: 3_000 });
  await eventually(async () => (await reconnects('pong_timeout')) > before, 10_000, 'pong_timeout reconnect');
  expect(await counter(metrics.pongTimeouts)).toBeGreaterThan(timeouts);
  env.sim.inject({ type: 'clear' });
  const lastPong = (await metrics.lastPong.get()).values[0].value;
  await eventually(async () => (await metrics.lastPong.get()).values[0].value > lastPong, 10_000, 'a new pong');
});

test('serverShutdown makes it reconnect at once', async () => {
  const before = await reconnects('server_shutdown');
  env.sim.inject({ type: 'server-shutdown' });
  await eventually(async () => (await reconnects('server_shutdown')) > before, 5_000, 'server_shutdown reconnect');
});

test('malformed frames land in the dead-letter topic, by reason, and streaming goes on', async () => {
  const produced = await counter(metrics.tradesProduced);
  env.sim.inject({ type: 'malformed', kind: 'json', count: 1 });
  env.sim.inject({ type: 'malformed', kind: 'missing-field', count: 1 });
  env.sim.inject({ type: 'malformed', kind: 'unknown-event', count: 1 });
  const dlq = await env.dlq((n) => n >= 3);
  expect(dlq.map((d) => d.reason).sort()).toEqual(['invalid_json', 'missing_field', 'unknown_event']);
  expect(dlq.find((d) => d.reason === 'invalid_json')!.raw).toMatch(/^\{"e":"trade"/);
  expect(await counter(metrics.dlq, { reason: 'missing_field' })).toBe(1);
  await eventually(async () => (await counter(metrics.tradesProduced)) > produced + 50, 10_000, 'trades after the bad frames');
});

test('an oversized frame closes the connection (bounded maxPayload), is recorded, and nothing is lost', async () => {
  const before = await reconnects('message_too_big');
  env.sim.inject({ type: 'malformed', kind: 'oversized', count: 1 });
  await eventually(async () => (await reconnects('message_too_big')) > before, 10_000, 'message_too_big reconnect');
  const dlq = await env.dlq((n) => n >= 4);
  expect(dlq.map((d) => d.reason)).toContain('oversized');
});

test('after all of it: nothing missing, nothing duplicated', async () => {
  await new Promise((r) => setTimeout(r, 1_000));
  env.sim.pauseMarket();
  await env.handle!.signal(stopSignal);
  const final = await env.handle!.result();
  const truth = Object.fromEntries(SYMBOLS.map((s) => [s, env.sim.groundTruth(s)!]));
  const trades = await env.trades((t) => reachedTruth(t, truth));
  for (const [symbol, ids] of idsBySymbol(trades)) {
    expect({ symbol, ...compareIds(ids, ids[0], truth[symbol].lastId) }).toEqual({ symbol, missing: [], duplicated: [] });
    expect(final.cursor[symbol]).toBe(truth[symbol].lastId);
  }
  expect(await counter(metrics.gaps)).toBeGreaterThan(0);
  expect(await counter(metrics.backfilled)).toBeGreaterThan(0);
});
