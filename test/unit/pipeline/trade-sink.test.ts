import { TopicMessages } from 'kafkajs';
import { FencedWriter, WriterFencedError } from '../../../lib/kafka/fenced-writer';
import { SinkRecord, TradeSink } from '../../../lib/kafka/trade-sink';

type Outcome = 'ok' | 'fail' | 'fail-after-commit' | 'fenced';

/** Writers of one session over a shared log; `plan` scripts each write's outcome in order. */
function fakeSession(plan: Outcome[]) {
  const written: string[] = [];
  const events: string[] = [];
  let call = 0;
  let opened = 0;
  const createWriter = (): FencedWriter => {
    const n = ++opened;
    return {
      transactionalId: 'k2-stream:test',
      open: async () => void events.push(`open ${n}`),
      close: async () => undefined,
      write: async (topicMessages: TopicMessages[]) => {
        const outcome = plan[call++] ?? 'ok';
        const keys = topicMessages.flatMap((t) => t.messages.map((m) => String(m.key)));
        events.push(`write ${n}`);
        if (outcome === 'fail') throw new Error('broker unavailable');
        if (outcome === 'fenced') throw new WriterFencedError('k2-stream:test', new Error('INVALID_PRODUCER_EPOCH'));
        written.push(...keys);
        if (outcome === 'fail-after-commit') throw new Error('commit answer lost');
      },
    };
  };
  const lastWritten = async () => {
    events.push('tail');
    return new Map([['BTCUSDT', Math.max(-1, ...written.map((k) => Number(k.split('-')[1])))]]);
  };
  return { written, events, createWriter, lastWritten, opened: () => opened };
}

const rec = (id: number): SinkRecord => ({ topic: 't', key: `BTCUSDT-${id}`, value: Buffer.from([id]), symbol: 'BTCUSDT', tradeId: id });

describe('trade sink', () => {
  test('the first record of an idle sink waits lingerMs for others: one transaction for a trickle, none of it held longer', async () => {
    const s = fakeSession([]);
    const batches: number[][] = [];
    const sink = new TradeSink({ createWriter: s.createWriter, lingerMs: 150, onAcked: (r) => batches.push(r.map((x) => x.tradeId!)) });
    sink.start();
    const started = performance.now();
    sink.offer(rec(1));
    await new Promise((r) => setTimeout(r, 50));
    sink.offer(rec(2));
    sink.offer(rec(3));
    expect(batches).toEqual([]);
    expect(await sink.flush(5_000)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(batches).toEqual([[1, 2, 3]]);
    // batchMax records waiting go at once.
    const full = new TradeSink({ createWriter: s.createWriter, lingerMs: 10_000, batchMax: 3, onAcked: (r) => batches.push(r.map((x) => x.tradeId!)) });
    full.start();
    for (let i = 4; i <= 6; i++) full.offer(rec(i));
    expect(await full.flush(2_000)).toBe(true);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6]]);
    await Promise.all([sink.stop(), full.stop()]);
  });

  test('a failed transaction is retried until Kafka takes it: nothing dropped, order kept', async () => {
    const s = fakeSession(['fail', 'fail', 'ok']);
    const acked: number[] = [];
    const sink = new TradeSink({ createWriter: s.createWriter, onAcked: (r) => acked.push(...r.map((x) => x.tradeId!)) });
    sink.start();
    for (let i = 1; i <= 5; i++) sink.offer(rec(i));
    expect(await sink.flush(5_000)).toBe(true);
    await sink.stop();
    expect(s.written).toEqual([1, 2, 3, 4, 5].map((i) => `BTCUSDT-${i}`));
    expect(acked).toEqual([1, 2, 3, 4, 5]);
  });

  test('after a lost commit answer, a new writer settles it first, then the tail decides: no second copy', async () => {
    const s = fakeSession(['fail-after-commit', 'ok']);
    const acked: number[] = [];
    const sink = new TradeSink({ createWriter: s.createWriter, onAcked: (r) => acked.push(...r.map((x) => x.tradeId!)), writtenUpTo: s.lastWritten });
    sink.start();
    for (let i = 1; i <= 3; i++) sink.offer(rec(i));
    await sink.flush(5_000);
    await sink.stop();
    expect(s.written).toEqual(['BTCUSDT-1', 'BTCUSDT-2', 'BTCUSDT-3']);
    expect(acked).toEqual([1, 2, 3]);
    // The order that makes it safe: open (fence) before reading the tail.
    expect(s.events).toEqual(['open 1', 'write 1', 'open 2', 'tail']);
  });

  test('the writer the run opened before its tail read is used first', async () => {
    const s = fakeSession([]);
    const writer = s.createWriter();
    await writer.open();
    const sink = new TradeSink({ writer, createWriter: s.createWriter, onAcked: () => undefined });
    sink.start();
    sink.offer(rec(1));
    await sink.flush(5_000);
    await sink.stop();
    expect(s.events).toEqual(['open 1', 'write 1']);
  });

  test('a fenced writer stops the sink for good: no retry, no new writer, an event for the run', async () => {
    const s = fakeSession(['fenced']);
    const sink = new TradeSink({ createWriter: s.createWriter, onAcked: () => undefined, writtenUpTo: s.lastWritten });
    const fenced = new Promise<Error>((resolve) => sink.once('fenced', resolve));
    sink.start();
    sink.offer(rec(1));
    expect(await fenced).toBeInstanceOf(WriterFencedError);
    sink.offer(rec(2));
    await new Promise((r) => setTimeout(r, 300));
    await sink.stop();
    expect(s.written).toEqual([]);
    expect(s.opened()).toBe(1);
    expect(sink.mayHaveWrittenUnacknowledged).toBe(true);
  });

  test('kill while Kafka is away: the retry loop ends without opening another writer', async () => {
    const s = fakeSession(Array(1000).fill('fail'));
    const sink = new TradeSink({ createWriter: s.createWriter, onAcked: () => undefined });
    sink.start();
    sink.offer(rec(1));
    await new Promise((r) => setTimeout(r, 150));
    const openedBefore = s.opened();
    sink.kill();
    await new Promise((r) => setTimeout(r, 600));
    await sink.stop();
    expect(s.opened()).toBe(openedBefore);
  });

  test('while Kafka is away the buffer fills (the caller pauses reading) and stays whole', async () => {
    const s = fakeSession(Array(1000).fill('fail'));
    const sink = new TradeSink({ createWriter: s.createWriter, onAcked: () => undefined });
    sink.start();
    for (let i = 1; i <= 10; i++) sink.offer(rec(i));
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.size).toBe(10);
    expect(sink.kafkaUp).toBe(false);
    await sink.stop();
  });
});
