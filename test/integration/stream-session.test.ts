import { StreamEnv, streamEnv, idsBySymbol, compareIds, reachedTruth } from '../helpers/stream-env';
import { stopSignal } from '../../workflows/stream-session-api';

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
