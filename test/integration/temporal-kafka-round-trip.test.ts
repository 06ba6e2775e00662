import { Client } from '@temporalio/client';
import { connectTemporal } from '../../lib/temporal/connection';
import { loadConfig } from '../../lib/config';
import { createStreamWorker } from '../../workers/create-worker';
import { kafkaProbe } from '../../workflows';
import { testKafka, readTopic } from '../helpers/kafka';
import { uniqueName } from '../helpers/names';

jest.setTimeout(120_000);

test('a workflow on the real Temporal server runs an activity that writes to the real Kafka broker', async () => {
  const config = loadConfig();
  const taskQueue = uniqueName('round-trip');
  const topic = uniqueName('test.round-trip');
  const value = uniqueName('payload');
  const kafka = testKafka();
  const { worker, close } = await createStreamWorker({ config, taskQueue, kafka });
  const connection = await connectTemporal(config);
  try {
    const client = new Client({ connection, namespace: config.temporal_namespace });
    const result = await worker.runUntil(
      client.workflow.execute(kafkaProbe, { taskQueue, workflowId: uniqueName('probe'), args: [topic, 'BTCUSDT', value] }),
    );
    expect(result).toMatchObject({ topic, partition: 0, offset: '0' });

    const messages = await readTopic(kafka, topic, (m) => m.length >= 1);
    expect(messages).toHaveLength(1);
    expect(messages[0].key?.toString()).toBe('BTCUSDT');
    expect(messages[0].value?.toString()).toBe(value);
  } finally {
    await connection.close();
    await close();
  }
});
