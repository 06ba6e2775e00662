import { gunzipSync, gzipSync } from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { installGzipCodec } from '../../../lib/kafka/gzip-codec';

describe('gzip codec', () => {
  test('batches come out as ordinary gzip that any consumer inflates, and kafkajs still reads gzip from others', async () => {
    installGzipCodec();
    const codec = CompressionCodecs[CompressionTypes.GZIP]();
    const batch = Buffer.from(Array.from({ length: 300 }, (_, i) => `BTCUSDT:${4_000_000_000 + i}:60000.${i % 100}`).join('|'));
    const compressed: Buffer = await codec.compress({ buffer: batch });
    expect(compressed.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gunzipSync(compressed)).toEqual(batch);
    expect(compressed.length).toBeLessThan(batch.length / 3);
    expect(await codec.decompress(gzipSync(batch, { level: 9 }))).toEqual(batch);
  });
});
