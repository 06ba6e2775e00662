import { logLevel } from 'kafkajs';
import { kafkaLogLevel } from '../../../lib/kafka/kafka-log';

// Lines as kafkajs 2.2 writes them (network/connection.js, cluster/brokerPool.js, consumer/).
describe('kafkajs log levels', () => {
  it.each([
    ['Connection error: connect ECONNREFUSED 127.0.0.1:9092', {}],
    ['Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:9092', { retryCount: 0 }],
    ['Response FindCoordinator(key: 0, version: 2)', { error: "The coordinator is loading and hence can't process requests for this group" }],
    ['Response Metadata(key: 3, version: 6)', { error: 'There is no leader for this topic-partition as we are in the middle of a leadership election' }],
    ['Failed to send messages: This server is not the leader for that topic-partition', { retryCount: 1 }],
    ['Response AddPartitionsToTxn(key: 24, version: 1)', { error: 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing' }],
    ['Connection timeout', {}],
    // seen in the hostile fault matrix, when a frozen worker wakes
    ['Timeout while acquiring lock (1 waiting locks)', { retryCount: 0, retryTime: 20 }],
  ])('an expected retry is debug: %s', (message, fields) => {
    expect(kafkaLogLevel(logLevel.ERROR, message, fields)).toBe('debug');
  });

  it('a consumer that crashed on a transient cause and restarts is a warning', () => {
    expect(kafkaLogLevel(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:9092')).toBe('warn');
  });

  it('a fenced writer is a warning: the exactly-once guard at work', () => {
    const error = "Producer attempted an operation with an old epoch. Either there is a newer producer with the same transactionalId, or the producer's transaction has been expired by the broker";
    expect(kafkaLogLevel(logLevel.ERROR, 'Response EndTxn(key: 26, version: 1)', { error })).toBe('warn');
  });

  it.each([
    ['Connection error: self-signed certificate', {}],
    ['SASL PLAIN authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN', {}],
    ['Response Produce(key: 0, version: 7)', { error: 'Topic authorization failed' }],
    ['Crash: KafkaJSNonRetriableError: Topic authorization failed', {}],
  ])('a real failure stays an error: %s', (message, fields) => {
    expect(kafkaLogLevel(logLevel.ERROR, message, fields)).toBe('error');
  });

  it('keeps the levels kafkajs chose for everything else', () => {
    expect(kafkaLogLevel(logLevel.WARN, 'Consumer group received unsubscribed topics')).toBe('warn');
    expect(kafkaLogLevel(logLevel.INFO, 'Starting')).toBe('info');
  });
});
