import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../lib/config';

describe('config', () => {
  test("defaults are the original plan's", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      ssl_verify: true,
      connection_max_lifetime_hours: 4,
      ping_interval_seconds: 180,
      ping_timeout_seconds: 10,
      health_check_timeout: 30,
      serializer_cache_max_size: 10,
      task_queue: 'binance-stream',
      kafka_topic: 'market.crypto.trades.binance',
      metrics_port: 9091,
    });
    expect(c.custom_ca_bundle).toBeUndefined();
    expect(c.binance_ws_urls[0]).toBe('wss://stream.binance.com:9443');
  });

  test('environment variables are the upper-case setting names', () => {
    const c = loadConfig({ PING_INTERVAL_SECONDS: '20', SSL_VERIFY: 'false', SYMBOLS: 'btcusdt, ETHUSDT', KAFKA_BROKERS: 'a:1,b:2' });
    expect(c.ping_interval_seconds).toBe(20);
    expect(c.ssl_verify).toBe(false);
    expect(c.symbols).toEqual(['btcusdt', 'ETHUSDT']);
    expect(c.kafka_brokers).toEqual(['a:1', 'b:2']);
  });

  test('a bad value names the setting and its variable', () => {
    expect(() => loadConfig({ PING_INTERVAL_SECONDS: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ PING_INTERVAL_SECONDS: '-1' })).toThrow(/ping_interval_seconds \(env PING_INTERVAL_SECONDS\).*got "-1"/);
    expect(() => loadConfig({ SSL_VERIFY: 'maybe' })).toThrow(/ssl_verify/);
    expect(() => loadConfig({ KAFKA_BROKERS: 'localhost' })).toThrow(/kafka_brokers.*host:port/);
  });

  test('a file gives settings, the environment wins over it, unknown keys are refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k2-config-'));
    const file = join(dir, 'k2.json');
    writeFileSync(file, JSON.stringify({ ping_timeout_seconds: 5, health_check_timeout: 12 }));
    const c = loadConfig({ K2_CONFIG_FILE: file, HEALTH_CHECK_TIMEOUT: '40' });
    expect(c.ping_timeout_seconds).toBe(5);
    expect(c.health_check_timeout).toBe(40);
    writeFileSync(file, JSON.stringify({ ping_intervall_seconds: 5 }));
    expect(() => loadConfig({ K2_CONFIG_FILE: file })).toThrow(/ping_intervall_seconds.*unknown setting/);
  });
});
