// patches/kafkajs+2.2.4.patch rewrites how kafkajs encodes varints and groups messages; the wire
// format must not change. Checked here against the protocol's definition (zigzag, then LEB128).

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Encoder = require('kafkajs/src/protocol/encoder');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition');

function zigzagLeb128(value: bigint): Buffer {
  let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

describe('kafkajs as patched', () => {
  test('varints and varlongs are the protocol bytes, and their sizes match', () => {
    const values = [0, 1, -1, 63, 64, -64, -65, 127, 128, 300, -300, 16_383, 16_384, 2 ** 30, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 1_700_000_000_000];
    let seed = 11;
    for (let i = 0; i < 2_000; i++) {
      seed = (seed * 48_271) % 2_147_483_647;
      values.push(Math.round((seed / 2_147_483_647 - 0.5) * 2 ** (i % 45)));
    }
    for (const v of values) {
      const expected = zigzagLeb128(BigInt(v));
      expect({ v, bytes: new Encoder().writeVarLong(v).buffer }).toEqual({ v, bytes: expected });
      expect({ v, size: Encoder.sizeOfVarLong(v) }).toEqual({ v, size: expected.length });
      if ((v | 0) === v) {
        expect({ v, bytes: new Encoder().writeVarInt(v).buffer }).toEqual({ v, bytes: expected });
        expect({ v, size: Encoder.sizeOfVarInt(v) }).toEqual({ v, size: expected.length });
      }
    }
  });

  test('a batch is grouped per partition in order, each message once', () => {
    const messages = Array.from({ length: 1_000 }, (_, i) => ({ key: String(i % 7), value: String(i), partition: i % 3 }));
    const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata: [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }], messages, partitioner: ({ message }: { message: { partition: number } }) => message.partition });
    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2']);
    for (const p of [0, 1, 2]) expect(grouped[p]).toEqual(messages.filter((m) => m.partition === p));
  });
});
