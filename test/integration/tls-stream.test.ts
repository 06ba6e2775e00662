import { metrics } from '../../lib/metrics';
import { StreamEnv, streamEnv } from '../helpers/stream-env';
import { counter, eventually, reconnects } from '../helpers/metrics';
import { statusQuery } from '../../workflows/stream-session-api';

let env: StreamEnv | undefined;
afterEach(async () => {
  await env?.teardown();
  env = undefined;
});

test('wss with the generated CA as custom_ca_bundle streams; TLS verification stays on', async () => {
  env = await streamEnv({ simulator: { tls: 'trusted', symbols: [{ symbol: 'BTCUSDT', rate: 50 }] } });
  expect(env.config.ssl_verify).toBe(true);
  expect(env.config.binance_ws_urls[0]).toMatch(/^wss:/);
  await env.start();
  await eventually(async () => (await counter(metrics.tradesProduced)) > 20, 20_000, 'trades over wss');
  expect((await metrics.tlsVerify.get()).values[0].value).toBe(1);
});

test('without the CA the certificate is refused, with a clear error, and nothing streams', async () => {
  env = await streamEnv({
    simulator: { tls: 'trusted', symbols: [{ symbol: 'BTCUSDT', rate: 50 }] },
    settings: { custom_ca_bundle: undefined, reconnect_backoff_initial_ms: 100, reconnect_backoff_max_ms: 500 },
  });
  const handle = await env.start();
  const produced = await counter(metrics.tradesProduced);
  await eventually(async () => (await reconnects('connect_failed')) >= 2, 20_000, 'refused connections');
  await eventually(async () => /UNABLE_TO_VERIFY_LEAF_SIGNATURE/.test((await handle.query(statusQuery)).lastError ?? ''), 15_000, 'the error in status');
  expect(await counter(metrics.tradesProduced)).toBe(produced);
});
