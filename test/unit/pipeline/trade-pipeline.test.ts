import { TopicMessages } from 'kafkajs';
import { singleObjectSerializer } from '../../../lib/avro/serializer';
import { tradeV2SchemaText } from '../../../lib/avro/trade-v2-schema';
import { BinanceRestClient } from '../../../lib/binance/rest-client';
import { BinanceTrade } from '../../../lib/binance/trade-frame';
import { FencedWriter } from '../../../lib/kafka/fenced-writer';
import { metrics } from '../../../lib/metrics';
import { TradePipeline } from '../../../lib/pipeline/trade-pipeline';

const trade = (id: number, quantity = '1.00000000'): BinanceTrade => ({
  eventType: 'trade',
  eventTime: id,
  symbol: 'BTCUSDT',
  tradeId: id,
  price: '95000.00000000',
  quantity,
  tradeTime: 1_700_000_000_000_000 + id,
  buyerIsMaker: false,
  isBestMatch: true,
});

/** A pipeline over fakes: REST serves `history`, the writer records every transaction. */
function pipelineOver(history: BinanceTrade[], cursor: number, restDelayMs = 0) {
  const written: TopicMessages[][] = [];
  const writer: FencedWriter = {
    transactionalId: 'k2-stream:unit',
    open: async () => undefined,
    close: async () => undefined,
    write: async (batch) => void written.push(batch),
  };
  const rest = {
    historicalTrades: async (_s: string, fromId: number, limit: number) => {
      await new Promise((r) => setTimeout(r, restDelayMs));
      return history.filter((t) => t.tradeId >= fromId).slice(0, limit);
    },
    close: () => undefined,
  } as unknown as BinanceRestClient;
  const pipeline = new TradePipeline({
    symbols: ['BTCUSDT'],
    cursor: { BTCUSDT: cursor },
    writer,
    createWriter: () => writer,
    topic: 'trades',
    dlqTopic: 'trades.dlq',
    serializer: singleObjectSerializer(tradeV2SchemaText()),
    socket: { urls: ['ws://127.0.0.1:1'], pingIntervalMs: 1_000, pingTimeoutMs: 1_000, silenceTimeoutMs: 1_000, maxPayload: 1 << 20, backoff: { initialMs: 10, maxMs: 10 }, tls: { verify: true } },
    rest,
    bufferMaxRecords: 100,
    maxBackfillTrades: 1_000,
    catchUpDelayMs: 0,
  });
  return { pipeline, written };
}

describe('trade pipeline', () => {
  test('a trade that cannot be encoded becomes an unrecoverable one-id hole: counted, in the DLQ with its id, the rest written', async () => {
    // decimal(18,8) holds at most 10 integer digits: 1e10 does not fit.
    const { pipeline, written } = pipelineOver([trade(11), trade(12, '12345678901.00000000'), trade(13)], 10);
    const before = (await metrics.unrecoverableTrades.get()).values.find((v) => v.labels.symbol === 'BTCUSDT')?.value ?? 0;
    const stopped = new AbortController();
    stopped.abort();
    const final = await pipeline.run(stopped.signal, { catchUpOnly: true, drainTimeoutMs: 5_000 });

    const records = written.flat();
    const keys = records.filter((t) => t.topic === 'trades').flatMap((t) => t.messages.map((m) => m.key));
    expect(keys).toEqual(['BTCUSDT', 'BTCUSDT']);
    const dlq = records.filter((t) => t.topic === 'trades.dlq').flatMap((t) => t.messages.map((m) => JSON.parse(String(m.value))));
    expect(dlq).toEqual([expect.objectContaining({ reason: 'unrecoverable_gap', symbol: 'BTCUSDT', from_id: 12, to_id: 12, detail: expect.stringMatching(/^unencodable/) })]);
    expect(JSON.parse(dlq[0].raw).quantity).toBe('12345678901.00000000');
    expect((await metrics.unrecoverableTrades.get()).values.find((v) => v.labels.symbol === 'BTCUSDT')?.value).toBe(before + 1);
    expect(final.cursor).toEqual({ BTCUSDT: 13 });
  });

  test('abort stops a run at once: the catch-up ends, nothing more is written, the cursor stays where Kafka is', async () => {
    const { pipeline, written } = pipelineOver(Array.from({ length: 5_000 }, (_, i) => trade(11 + i)), 10, 50);
    const stopped = new AbortController();
    stopped.abort();
    const running = pipeline.run(stopped.signal, { catchUpOnly: true, drainTimeoutMs: 60_000 });
    while (written.length === 0) await new Promise((r) => setTimeout(r, 5));
    pipeline.abort('attempt_not_found');
    const atAbort = written.flat().length;
    const final = await running;
    expect(final.abortedBy).toBe('attempt_not_found');
    // At most the transaction already on its way; no flush of the rest, no more REST pages.
    expect(written.flat().length).toBeLessThanOrEqual(atAbort + 1);
    expect(final.cursor.BTCUSDT).toBeLessThan(10 + 5_000);
  });
});
