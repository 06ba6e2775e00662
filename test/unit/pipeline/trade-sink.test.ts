import { Producer } from 'kafkajs';
import { SinkRecord, TradeSink } from '../../../lib/kafka/trade-sink';

type Batch = { topicMessages: { topic: string; messages: { key: string }[] }[] };

function fakeProducer(plan: ('ok' | 'fail' | 'fail-after-write')[], written: string[]) {
  let call = 0;
  return {
    connect: async () => undefined,
    disconnect: async () => undefined,
    sendBatch: async (b: Batch) => {
      const outcome = plan[call++] ?? 'ok';
      const keys = b.topicMessages.flatMap((t) => t.messages.map((m) => m.key));
      if (outcome === 'fail') throw new Error('broker unavailable');
      written.push(...keys);
      if (outcome === 'fail-after-write') throw new Error('ack lost');
      return [];
    },
  } as unknown as Producer;
}

const rec = (id: number): SinkRecord => ({ topic: 't', key: `BTCUSDT-${id}`, value: Buffer.from([id]), symbol: 'BTCUSDT', tradeId: id });

describe('trade sink', () => {
  test('a failed batch is retried until Kafka takes it: nothing dropped, order kept', async () => {
    const written: string[] = [];
    const acked: number[] = [];
    const producer = fakeProducer(['fail', 'fail', 'ok'], written);
    const sink = new TradeSink({ createProducer: () => producer, onAcked: (r) => acked.push(...r.map((x) => x.tradeId!)) });
    sink.start();
    for (let i = 1; i <= 5; i++) sink.offer(rec(i));
    expect(await sink.flush(5_000)).toBe(true);
    await sink.stop();
    expect(written).toEqual([1, 2, 3, 4, 5].map((i) => `BTCUSDT-${i}`));
    expect(acked).toEqual([1, 2, 3, 4, 5]);
  });

  test('a resend after a lost ack skips what the topic already holds', async () => {
    const written: string[] = [];
    const acked: number[] = [];
    const producer = fakeProducer(['fail-after-write', 'ok'], written);
    const sink = new TradeSink({
      createProducer: () => producer,
      onAcked: (r) => acked.push(...r.map((x) => x.tradeId!)),
      writtenUpTo: async () => new Map([['BTCUSDT', Math.max(...written.map((k) => Number(k.split('-')[1])))]]),
    });
    sink.start();
    for (let i = 1; i <= 3; i++) sink.offer(rec(i));
    await sink.flush(5_000);
    await sink.stop();
    expect(written).toEqual(['BTCUSDT-1', 'BTCUSDT-2', 'BTCUSDT-3']); // no second copy
    expect(acked).toEqual([1, 2, 3]);
  });

  test('while Kafka is away the buffer fills (the caller pauses reading) and stays whole', async () => {
    const written: string[] = [];
    const producer = fakeProducer(Array(1000).fill('fail'), written);
    const sink = new TradeSink({ createProducer: () => producer, onAcked: () => undefined });
    sink.start();
    for (let i = 1; i <= 10; i++) sink.offer(rec(i));
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.size).toBeGreaterThanOrEqual(10); // what the pipeline pauses at with buffer_max_records=10
    expect(sink.size).toBe(10);
    expect(sink.kafkaUp).toBe(false);
    await sink.stop();
  });
});
