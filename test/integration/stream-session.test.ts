import { StreamEnv, streamEnv, idsBySymbol, compareIds, reachedTruth } from '../helpers/stream-env';
import { statusQuery, stopSignal } from '../../workflows/stream-session-api';

let env: StreamEnv;
afterEach(() => env?.teardown());

test('trades reach Kafka as TradeV2, in id order per symbol, across rotations by continue-as-new', async () => {
  env = await streamEnv({ simulator: { symbols: ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'].map((symbol) => ({ symbol, rate: 40 })) } });
  const handle = await env.start({ maxLifetimeMs: 3_000 });
  await new Promise((r) => setTimeout(r, 9_000));
  env.sim.pauseMarket();
  await handle.signal(stopSignal);
  const final = await handle.result();
  expect(final.state).toBe('stopped');
  expect(final.rotation).toBeGreaterThanOrEqual(2);

  const truth = Object.fromEntries(['BTCUSDT', 'ETHUSDT', 'BNBUSDT'].map((s) => [s, env.sim.groundTruth(s)!]));
  const trades = await env.trades((t) => reachedTruth(t, truth));
  const bySymbol = idsBySymbol(trades);
  for (const [symbol, ids] of bySymbol) {
    // The session starts on a live stream: its first id is where it joined.
    const { missing, duplicated } = compareIds(ids, ids[0], truth[symbol].lastId);
    expect({ symbol, missing, duplicated }).toEqual({ symbol, missing: [], duplicated: [] });
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(final.cursor[symbol]).toBe(truth[symbol].lastId);
  }
  const t = trades[0];
  expect(t.exchange).toBe('BINANCE');
  expect(t.trade_id).toBe(`BINANCE-${t.source_sequence}`);
  expect(t.asset_class).toBe('crypto');
  expect(t.currency).toBe('USDT');
  expect(t.timestamp).toBeGreaterThan(1.7e15);
  expect(t.price).toMatch(/^\d+\.\d{8}$/);
  // Same price and quantity as the exchange recorded, to the digit.
  const rest = (await (await fetch(`${env.sim.urls.rest}/api/v3/historicalTrades?symbol=${t.symbol}&fromId=${t.source_sequence}&limit=1`)).json()) as { price: string; qty: string; isBuyerMaker: boolean }[];
  expect(t.price).toBe(rest[0].price);
  expect(t.quantity).toBe(rest[0].qty);
  expect(t.side).toBe(rest[0].isBuyerMaker ? 'SELL' : 'BUY');
});

test('the Web UI shows the session: its summary from the start, its current details kept up to date by every run', async () => {
  env = await streamEnv({ simulator: { symbols: ['BTCUSDT', 'ETHUSDT'].map((symbol) => ({ symbol, rate: 20 })) } });
  const handle = await env.start({ maxLifetimeMs: 6_000 });
  const first = await handle.describe();
  expect(await first.staticSummary()).toBe(`BTCUSDT, ETHUSDT → ${env.config.kafka_topic} · build ${env.config.build_id}`);
  expect(await first.staticDetails()).toContain(`--workflow-id ${handle.workflowId} --name rotate`);

  // What the Web UI asks a running workflow for its current details.
  const details = async () => (await env.client.workflow.getHandle(handle.workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
  const until = async (what: string, check: (text: string) => boolean, timeoutMs = 30_000) => {
    const end = Date.now() + timeoutMs;
    for (let text = await details(); !check(text); text = await details()) {
      if (Date.now() > end) throw new Error(`current details never showed ${what}; last:\n${text}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  await until('a streaming run with rates', (t) => t.startsWith('**streaming** · rotation 0') && /- BTCUSDT: \d+\.\d\/s, last trade/.test(t));
  expect(await details()).toContain(`build \`${env.config.build_id}\``);
  expect(await details()).toContain(`into \`${env.config.kafka_topic}\``);
  // After a rotation (continue-as-new) the new run keeps them current too.
  await until('the next run', (t) => /^\*\*streaming\*\* · rotation [1-9]/.test(t) && /- ETHUSDT: \d+\.\d\/s/.test(t));
  const status = await handle.query(statusQuery);
  expect(status.perSymbol.BTCUSDT.ratePerSec).toBeGreaterThan(0);
  expect(status.perSymbol.BTCUSDT.lagMs).toBeGreaterThanOrEqual(0);
  await handle.signal(stopSignal);
  await handle.result();
});
