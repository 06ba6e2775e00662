import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { connectTemporal, connectTemporalWorker } from '../../lib/temporal/connection';
import { loadConfig } from '../../lib/config';
import { createProbeActivities } from '../fixtures/kafka-probe/activities';
import { kafkaProbe } from '../fixtures/kafka-probe/workflows';
import { testKafka, readTopic } from '../helpers/kafka';
import { uniqueName } from '../helpers/names';

jest.setTimeout(120_000);

// The probe is a test fixture: this test's own worker registers it, the production worker does not.
test('a workflow on the real Temporal server runs an activity that writes to the real Kafka broker', async () => {
  const config = loadConfig();
  const taskQueue = uniqueName('round-trip');
  const topic = uniqueName('test.round-trip');
  const value = uniqueName('payload');
  const kafka = testKafka();
  const workerConnection = await connectTemporalWorker(config);
  const connection = await connectTemporal(config);
  try {
    const worker = await Worker.create({
      connection: workerConnection,
      namespace: config.temporal_namespace,
      taskQueue,
      workflowsPath: require.resolve('../fixtures/kafka-probe/workflows'),
      activities: createProbeActivities(kafka),
    });
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
    await workerConnection.close();
  }
});
