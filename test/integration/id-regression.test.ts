import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Partitioners } from 'kafkajs';
import { toTradeV2 } from '../../lib/avro/convert-trade';
import { singleObjectSerializer } from '../../lib/avro/serializer';
import { tradeV2SchemaText } from '../../lib/avro/trade-v2-schema';
import { ensureTopics, tradeTopicSpecs } from '../../lib/kafka/topics';
import { metrics } from '../../lib/metrics';
import { statusQuery, stopSignal } from '../../workflows/stream-session-api';
import { testKafka } from '../helpers/kafka';
import { eventually } from '../helpers/metrics';
import { compareIds, expectExactlyOnce, idsBySymbol, reachedTruth, StreamEnv, streamEnv } from '../helpers/stream-env';
import { sleep } from '../helpers/ws-client';

// The demo-poisons-production scenario: a record of another id space (a simulator's
// time-based ids) sits in the session's topic before the session starts. The session reads it
// as BTCUSDT's tail; live ids are far below it. The symbol must be held and reported — not
// dropped silently — while the others stream, and `k2 stream reset-cursor` must resolve it.

const run = promisify(execFile);
const k2 = join(__dirname, '../../bin/k2.js');
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'];
const STRAY_ID = 170_000_000_000_000;

let env: StreamEnv;
afterAll(() => env?.teardown());

async function writeStrayRecord(): Promise<void> {
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, tradeTopicSpecs(env.config));
  await admin.disconnect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const trade = { eventType: 'trade' as const, eventTime: Date.now(), symbol: 'BTCUSDT', tradeId: STRAY_ID, price: '1.00000000', quantity: '1.00000000', tradeTime: Date.now() * 1000, buyerIsMaker: false, isBestMatch: true };
  const value = singleObjectSerializer(tradeV2SchemaText()).encode(toTradeV2(trade, Date.now() * 1000));
  await producer.send({ topic: env.config.kafka_topic, acks: -1, messages: [{ key: 'BTCUSDT', value }] });
  await producer.disconnect();
}

test('a symbol whose live ids fall far below its cursor is held and reported; reset-cursor resolves it; the others never stop', async () => {
  env = await streamEnv({
    simulator: { symbols: SYMBOLS.map((symbol) => ({ symbol, rate: 50 })) },
    settings: { id_regression_threshold: 10_000, heartbeat_timeout_seconds: 5 },
  });
  await writeStrayRecord();
  const handle = await env.start();
  const status = () => handle.query(statusQuery);

  await eventually(async () => (await status()).perSymbol.BTCUSDT.state === 'id_regression', 30_000, 'BTCUSDT marked id_regression');
  await eventually(async () => { const s = await status(); return s.perSymbol.ETHUSDT.total > 50 && s.perSymbol.BNBUSDT.total > 50; }, 30_000, 'the other symbols streaming');
  const held = await status();
  expect(held.perSymbol.BTCUSDT.regression).toEqual(expect.objectContaining({ lastId: STRAY_ID }));
  expect(held.perSymbol.BTCUSDT.regression!.seenId).toBeLessThan(STRAY_ID - 10_000);
  expect(held.perSymbol.BNBUSDT.state).toBe('ok');
  expect((await metrics.idRegression.get()).values.find((v) => v.labels.symbol === 'BTCUSDT')?.value).toBe(1);
  const [dlq] = (await env.dlq((n) => n >= 1)).filter((d) => d.reason === 'id_regression');
  expect(dlq).toEqual(expect.objectContaining({ symbol: 'BTCUSDT', cursor: STRAY_ID }));
  const { stdout } = await run(process.execPath, [k2, 'stream', 'status', '--workflow-id', handle.workflowId], { env: { ...process.env, LOG_LEVEL: 'warn' } });
  expect(stdout).toMatch(/BTCUSDT[\s\S]*ID REGRESSION[\s\S]*k2 stream reset-cursor --symbol BTCUSDT/);

  const resetAt = Date.now();
  await run(process.execPath, [k2, 'stream', 'reset-cursor', '--symbol', 'BTCUSDT', '--workflow-id', handle.workflowId], { env: { ...process.env, LOG_LEVEL: 'warn' } });
  await eventually(async () => {
    const s = await status();
    return s.perSymbol.BTCUSDT.state === 'ok' && Date.parse(s.perSymbol.BTCUSDT.lastTradeTime ?? '') > resetAt;
  }, 30_000, 'BTCUSDT streaming again after the reset');
  expect((await status()).lastRotationReason).toBe('reset-cursor BTCUSDT');
  expect((await metrics.idRegression.get()).values.find((v) => v.labels.symbol === 'BTCUSDT')?.value).toBe(0);

  await sleep(2_000);
  env.sim.pauseMarket();
  await sleep(300);
  await handle.signal(stopSignal);
  const final = await handle.result();
  const truth = Object.fromEntries(SYMBOLS.map((s) => [s, env.sim.groundTruth(s)!]));
  const trades = await env.trades((t) => reachedTruth(t, truth));
  // The stray record stays where it was; every trade after it is the real id space, exactly once.
  const real = trades.filter((t) => t.source_sequence !== STRAY_ID);
  expect(trades.length - real.length).toBe(1);
  expectExactlyOnce(real.filter((t) => t.symbol !== 'BTCUSDT'), truth, { label: 'unaffected symbols', symbols: ['ETHUSDT', 'BNBUSDT'] });
  const btc = idsBySymbol(real).get('BTCUSDT')!;
  expect(compareIds(btc, btc[0], truth.BTCUSDT.lastId)).toEqual({ missing: [], duplicated: [] });
  expect(final.cursor.BTCUSDT).toBe(truth.BTCUSDT.lastId);
}, 120_000);
