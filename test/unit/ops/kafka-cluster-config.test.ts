import { clusterNodes, kafkaClusterDefaults } from '../../../ops/infra/kafka-cluster';
import { kraftProperties } from '../../../ops/infra/kafka';

describe('3-node KRaft cluster settings', () => {
  const nodes = clusterNodes({ ...kafkaClusterDefaults, dir: '/tmp/k2-cluster' });
  const lines = nodes.map((n) => kraftProperties(n).split('\n'));

  test('each node has its own id, ports and data dir, on loopback only', () => {
    nodes.forEach((_, i) => {
      expect(lines[i]).toContain(`node.id=${i + 1}`);
      expect(lines[i]).toContain(`listeners=PLAINTEXT://127.0.0.1:${19192 + i},CONTROLLER://127.0.0.1:${19195 + i}`);
      expect(lines[i]).toContain(`log.dirs=/tmp/k2-cluster/node-${i + 1}/data`);
    });
  });

  test('every node is a voter and knows all three controllers', () => {
    for (const l of lines) {
      expect(l).toContain('process.roles=broker,controller');
      expect(l).toContain('controller.quorum.bootstrap.servers=127.0.0.1:19195,127.0.0.1:19196,127.0.0.1:19197');
    }
  });

  test('topics and internal state are kept on three brokers and written to two before an ack', () => {
    expect(lines[0]).toEqual(
      expect.arrayContaining([
        'auto.create.topics.enable=false',
        'default.replication.factor=3',
        'min.insync.replicas=2',
        'offsets.topic.replication.factor=3',
        'transaction.state.log.replication.factor=3',
        'transaction.state.log.min.isr=2',
        'group.initial.rebalance.delay.ms=0',
      ]),
    );
  });

  test('overrides replace the derived settings instead of adding a second line', () => {
    const [node] = clusterNodes({ ...kafkaClusterDefaults, overrides: { 'broker.session.timeout.ms': 3000, 'min.insync.replicas': 1 } });
    const l = kraftProperties(node).split('\n');
    expect(l).toContain('broker.session.timeout.ms=3000');
    expect(l.filter((line) => line.startsWith('min.insync.replicas='))).toEqual(['min.insync.replicas=1']);
    expect(l).toContain(`log.cleaner.dedupe.buffer.size=${16 * 1024 * 1024}`);
  });
});
