import { LogEntry, logLevel } from 'kafkajs';
import { createLogger } from '../logger';

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

const levels: Record<number, KafkaLogLevel> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// kafkajs logs every failed attempt at ERROR, also those it retries by itself. A broker that
// starts, restarts or moves a partition's leader makes dozens of them (every test run starts
// one), and they buried the real failures. Each condition below is retried or recovered from
// by kafkajs, and the caller learns the outcome (an exception once retries run out, the sink's
// kafka.produce-failed, readiness' "kafka unreachable"), so a single attempt is debug.
const TRANSIENT = [
  // connecting while the broker starts or restarts (by errno: a TLS or SASL failure is no retry)
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'Connection timeout',
  'Closed connection',
  'Connection closed by the server',
  'Not connected',
  'The server disconnected before a response was received', // NETWORK_EXCEPTION
  // a broker loading its state, a coordinator or partition leader moving
  'The coordinator is loading', // GROUP_LOAD_IN_PROGRESS
  'The group coordinator is not available', // GROUP_COORDINATOR_NOT_AVAILABLE
  'This is not the correct coordinator', // NOT_COORDINATOR_FOR_GROUP
  'This is not the correct controller', // NOT_CONTROLLER
  'There is no leader for this topic-partition', // LEADER_NOT_AVAILABLE
  'This server is not the leader for that topic-partition', // NOT_LEADER_FOR_PARTITION
  'This server does not host this topic-partition', // UNKNOWN_TOPIC_OR_PARTITION (a topic just created)
  'The replica is not available', // REPLICA_NOT_AVAILABLE
  'fewer in-sync replicas than required', // NOT_ENOUGH_REPLICAS (a replica restarting)
  'The leader epoch in the request is', // FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH
  'The leader high watermark has not caught up', // OFFSET_NOT_AVAILABLE
  'The request timed out', // REQUEST_TIMED_OUT
  // a request queued behind a slow one (a broker restarting, a worker frozen and woken)
  'Timeout while acquiring lock', // KafkaJSLockTimeout
  // a consumer group settling: the consumer rejoins by itself
  'The group is rebalancing', // REBALANCE_IN_PROGRESS
  'The coordinator is not aware of this member', // UNKNOWN_MEMBER_ID
  // a transaction begun right after a commit meets it, and kafkajs retries (CONCURRENT_TRANSACTIONS)
  'another concurrent operation on the same transaction',
  // the sink bounds the producer's retries on purpose and deduplicates its own resends from
  // the topic's tail (lib/kafka/trade-sink.ts)
  'Limiting retries for the idempotent producer',
];

// Fencing is the session's exactly-once guard at work (docs/architecture.md): the writer that
// meets it stops, and the sink reports it as kafka.fenced. Worth a warning, not an error.
const FENCED = ['Producer attempted an operation with an old epoch', 'There is a newer producer with the same transactionalId'];

const mentions = (text: string, fragments: string[]) => fragments.some((f) => text.includes(f));

/** The level a kafkajs log line is written at here: expected retries below error, real failures at error. */
export function kafkaLogLevel(level: number, message: string, fields: Record<string, unknown> = {}): KafkaLogLevel {
  const text = `${message} ${typeof fields.error === 'string' ? fields.error : ''}`;
  const given = levels[level] ?? 'info';
  if (message.startsWith('Crash:') || message.startsWith('Restarting the consumer')) {
    // A consumer that ran out of retries restarts itself when the cause is transient.
    return mentions(text, TRANSIENT) ? 'warn' : given;
  }
  if (mentions(text, TRANSIENT)) return 'debug';
  if (mentions(text, FENCED)) return given === 'error' ? 'warn' : given;
  return given;
}

const log = createLogger('kafkajs');

/** kafkajs' logCreator: its lines as our JSON lines, with an event name and the level above. */
export function logCreator() {
  return ({ level, log: entry }: LogEntry) => {
    const { message, timestamp: _t, logger: _l, ...fields } = entry;
    log[kafkaLogLevel(level, message, fields)]({ event: 'kafka.client', ...fields }, message);
  };
}
