import { brokerProperties, kafkaDefaults } from '../../../ops/infra/kafka';
import { parsePartNames } from '../../../ops/infra/stack';
import { startDevArgs, temporalDefaults } from '../../../ops/infra/temporal';

function parseProperties(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

describe('Kafka broker properties', () => {
  const props = parseProperties(brokerProperties({ ...kafkaDefaults, dataDir: '/tmp/k2-data', port: 19092, controllerPort: 19093 }));

  test('single-node KRaft broker and controller on loopback only', () => {
    expect(props['process.roles']).toBe('broker,controller');
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props['controller.quorum.bootstrap.servers']).toBe('127.0.0.1:19093');
    expect(props['log.dirs']).toBe('/tmp/k2-data');
  });

  test('topics are never created implicitly', () => {
    expect(props['auto.create.topics.enable']).toBe('false');
  });

  test('internal topics fit one broker', () => {
    for (const key of ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'transaction.state.log.min.isr']) {
      expect(props[key]).toBe('1');
    }
  });
});

describe('Temporal dev server arguments', () => {
  const args = startDevArgs({ ...temporalDefaults, dbFile: '/tmp/t.db' });
  const flag = (name: string) => args[args.indexOf(name) + 1];

  test('binds gRPC and UI to loopback with a SQLite file', () => {
    expect(args.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(flag('--ip')).toBe('127.0.0.1');
    expect(flag('--ui-ip')).toBe('127.0.0.1');
    expect(flag('--port')).toBe('7233');
    expect(flag('--ui-port')).toBe('8233');
    expect(flag('--db-filename')).toBe('/tmp/t.db');
  });

  test('lifts the cap of 100 Worker Deployments per namespace (every test registers one)', () => {
    expect(flag('--dynamic-config-value')).toBe('matching.maxDeployments=100000');
  });

  test('registers the search attributes the stream workflow sets', () => {
    const attrs = args.filter((_, i) => args[i - 1] === '--search-attribute');
    expect(attrs).toEqual(expect.arrayContaining(['StreamSymbols=KeywordList', 'StreamRotation=Int', 'StreamState=Keyword']));
  });
});

describe('part names', () => {
  test('default is Temporal and Kafka, "all" is every part', () => {
    expect(parsePartNames([])).toEqual(['temporal', 'kafka']);
    expect(parsePartNames(['all'])).toEqual(['temporal', 'kafka', 'prometheus', 'schema-registry', 'docker']);
  });

  test('an unknown part is refused by name', () => {
    expect(() => parsePartNames(['zookeeper'])).toThrow(/zookeeper: unknown part/);
  });
});
