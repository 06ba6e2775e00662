import { metrics } from '../../lib/metrics';
import { registryDefaults, registryUrl } from '../../ops/infra/schema-registry';
import { infraDown, infraUp } from '../../ops/infra/stack';
import { readTopic, testKafka } from '../helpers/kafka';
import { counter, eventually } from '../helpers/metrics';
import { StreamEnv, streamEnv } from '../helpers/stream-env';

// Confluent wire format through the real local registry (Apicurio's ccompat API).
let env: StreamEnv | undefined;
let startedHere = false;

beforeAll(async () => {
  const [status] = await infraUp(['schema-registry']);
  startedHere = status.state === 'started';
}, 180_000);
afterAll(async () => {
  await env?.teardown();
  if (startedHere) await infraDown(['schema-registry']);
});

test('with SCHEMA_REGISTRY_URL, records are 0x00 + the registered schema id + Avro', async () => {
  const url = registryUrl(registryDefaults);
  env = await streamEnv({ simulator: { symbols: [{ symbol: 'BTCUSDT', rate: 50 }] }, settings: { schema_registry_url: url } });
  await env.start();
  await eventually(async () => (await counter(metrics.tradesProduced)) > 10, 30_000, 'trades');
  const trades = await env.trades((t) => t.length >= 10);
  expect(trades[0].exchange).toBe('BINANCE');

  const subject = `${env.config.kafka_topic}-value`;
  const latest = (await (await fetch(`${url}/subjects/${subject}/versions/latest`)).json()) as { id: number; schema: string };
  expect(JSON.parse(latest.schema).name).toBe('TradeV2');
  const [raw] = await readTopic(testKafka(), env.config.kafka_topic, (m) => m.length >= 1);
  expect(raw.value![0]).toBe(0);
  expect(raw.value!.readUInt32BE(1)).toBe(latest.id);
});
