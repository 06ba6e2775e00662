import { demoNames } from '../../../cli/demo-names';
import { loadConfig } from '../../../lib/config';

describe('demoNames', () => {
  test('with the defaults: the names the architecture fixes for the demo', () => {
    expect(demoNames(loadConfig({}))).toEqual({
      workflow_id: 'binance-stream-demo',
      task_queue: 'binance-stream-demo',
      kafka_topic: 'demo.market.crypto.trades.binance',
      kafka_dlq_topic: 'demo.market.crypto.trades.binance.dlq',
      deployment_name: 'k2-stream-demo',
      deploy_task_queue: 'binance-stream-deploy-demo',
    });
  });

  test('names set explicitly are derived from, never used as they are', () => {
    const config = loadConfig({ WORKFLOW_ID: 'prod-eu', TASK_QUEUE: 'q-eu', KAFKA_TOPIC: 'trades.eu', KAFKA_DLQ_TOPIC: 'trades.eu.bad' });
    expect(demoNames(config)).toEqual({
      workflow_id: 'prod-eu-demo',
      task_queue: 'q-eu-demo',
      kafka_topic: 'demo.trades.eu',
      kafka_dlq_topic: 'demo.trades.eu.bad',
      deployment_name: 'k2-stream-demo',
      deploy_task_queue: 'binance-stream-deploy-demo',
    });
  });

  test('no demo name is ever a configured one, even one that already looks like a demo name', () => {
    for (const env of [{}, { WORKFLOW_ID: 'binance-stream-demo', TASK_QUEUE: 'binance-stream-demo', KAFKA_TOPIC: 'demo.market.crypto.trades.binance' }]) {
      const config = loadConfig(env);
      const configured = new Set([config.workflow_id, config.task_queue, config.kafka_topic, config.kafka_dlq_topic, config.deployment_name, config.deploy_task_queue]);
      for (const name of Object.values(demoNames(config))) expect(configured.has(name)).toBe(false);
    }
  });
});
