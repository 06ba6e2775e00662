import { crc64Avro, fingerprintBytes } from '../../../lib/avro/fingerprint';
import { SerializerCache } from '../../../lib/avro/serializer';
import { tradeV2SchemaText } from '../../../lib/avro/trade-v2-schema';
import { metrics } from '../../../lib/metrics';

describe('CRC-64-AVRO', () => {
  // Vectors computed with fastavro (an independent implementation): fingerprint bytes, little-endian.
  test.each([
    ['"int"', '8f5c393f1ad57572'],
    ['"null"', '8a8f25cce724dd63'],
    ['{"name":"R","type":"record","fields":[{"name":"a","type":"long"}]}', '9a89b5f44e448d92'],
  ])('%s', (canonical, hex) => {
    expect(fingerprintBytes(canonical).toString('hex')).toBe(hex);
  });

  test('of the TradeV2 schema, from its parsing canonical form', async () => {
    const s = await new SerializerCache(1).get('t-value');
    expect(s.header.subarray(2).toString('hex')).toBe('fc981a869a477c35');
    expect(crc64Avro('')).toBe(0xc15d213aa4d7a795n);
  });
});

describe('serializer cache', () => {
  test('is a bounded LRU that counts its evictions', async () => {
    const cache = new SerializerCache(2);
    const evictions = async () => (await metrics.serializerCacheEvictions.get()).values[0]?.value ?? 0;
    const before = await evictions();
    const a = await cache.get('a-value');
    expect(await cache.get('a-value')).toBe(a); // cached, not rebuilt
    await cache.get('b-value');
    await cache.get('a-value'); // a is now the most recent
    await cache.get('c-value'); // evicts b
    expect(cache.size).toBe(2);
    expect(await evictions()).toBe(before + 1);
    expect((await metrics.serializerCacheSize.get()).values[0].value).toBe(2);
    expect(await cache.get('a-value')).toBe(a);
    const schema = tradeV2SchemaText();
    await cache.get('d-value', schema.replace('"doc": "Quote asset."', '"doc": "Quote currency."'));
    expect(cache.size).toBe(2);
    expect(await evictions()).toBe(before + 2);
  });
});
