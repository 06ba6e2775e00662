import { PartitionMetadata } from 'kafkajs';
import { isFencedError, perLeader, WriterFencedError } from '../../../lib/kafka/fenced-writer';

const partitions = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: i % 3, replicas: [], isr: [], partitionErrorCode: 0, offlineReplicas: [] }));

describe('fenced writer', () => {
  test('a batch is split into one send per partition leader, each message pinned to the partition its key hashes to', async () => {
    const messages = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'BTCUSDT', 'SOLUSDT', 'ETHUSDT'].map((key, i) => ({ key, value: String(i) }));
    const meta = { trades: partitions(6), 'trades.dlq': partitions(1) };
    const sends = await perLeader([{ topic: 'trades', messages }, { topic: 'trades.dlq', messages: [{ key: 'invalid_json', value: 'x' }] }], async (t) =>
      meta[t as keyof typeof meta],
    );
    // Every partition of a send has the same leader, and no two sends share one.
    const leaders = sends.map((send) => new Set(send.flatMap(({ topic, messages: ms }) => ms.map((m) => meta[topic as keyof typeof meta][m.partition!].leader))));
    for (const l of leaders) expect(l.size).toBe(1);
    expect(new Set(leaders.map((l) => [...l][0])).size).toBe(sends.length);
    const trades = sends.flat().filter((s) => s.topic === 'trades').flatMap((s) => s.messages);
    expect(trades.map((m) => m.value).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
    // One key, one partition; order within a key kept.
    const btc = trades.filter((m) => String(m.key) === 'BTCUSDT');
    expect(btc.map((m) => m.value)).toEqual(['0', '3']);
    expect(btc[0].partition).toBe(btc[1].partition);
    const dlq = sends.flat().filter((s) => s.topic === 'trades.dlq');
    expect(dlq).toEqual([{ topic: 'trades.dlq', messages: [{ key: Buffer.from('invalid_json'), value: 'x', partition: 0 }] }]);
    // The DLQ's partition 0 shares leader 0 with the trades' partitions 0 and 3: one send holds both topics.
    expect(sends.find((send) => send.some((s) => s.topic === 'trades.dlq'))!.length).toBe(trades.some((m) => m.partition! % 3 === 0) ? 2 : 1);
  });

  test('a key hashes to the partition kafkajs would choose, worked out once per key', async () => {
    const { Partitioners } = await import('kafkajs');
    const partitioner = Partitioners.DefaultPartitioner();
    const meta = partitions(6);
    const keys = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT', 'ADAUSDT'];
    const cache = new Map();
    for (let round = 0; round < 2; round++) {
      const sends = await perLeader([{ topic: 't', messages: keys.map((key) => ({ key, value: key })) }], async () => meta, cache);
      for (const send of sends.flat()) for (const m of send.messages) expect(m.partition).toBe(partitioner({ topic: 't', partitionMetadata: meta, message: { key: String(m.key), value: null } }));
    }
    expect(cache.get('t').size).toBe(keys.length);
  });

  test('fenced errors are recognised however kafkajs wraps them', () => {
    expect(isFencedError({ type: 'INVALID_PRODUCER_EPOCH' })).toBe(true);
    expect(isFencedError({ name: 'KafkaJSNumberOfRetriesExceeded', originalError: { type: 'PRODUCER_FENCED' } })).toBe(true);
    expect(isFencedError({ errors: [{ message: 'x' }, { code: 90 }] })).toBe(true);
    expect(isFencedError(new WriterFencedError('k2-stream:s', new Error('x')))).toBe(true);
    expect(isFencedError({ type: 'NOT_LEADER_FOR_PARTITION', retriable: true })).toBe(false);
    expect(isFencedError(new Error('Connection error: connect ECONNREFUSED'))).toBe(false);
  });
});
