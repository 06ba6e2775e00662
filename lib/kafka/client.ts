import { Kafka, logLevel, LogEntry } from 'kafkajs';
import { createLogger } from '../logger';

const log = createLogger('kafkajs');

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// kafkajs logs through its own format; route it into our JSON lines with an event name.
function logCreator() {
  return ({ level, log: entry }: LogEntry) => {
    const { message, timestamp: _t, logger: _l, ...fields } = entry;
    // The sink bounds the producer's retries on purpose and deduplicates its own resends from
    // the topic's tail (lib/kafka/trade-sink.ts), so kafkajs' warning about it is noise; so is
    // CONCURRENT_TRANSACTIONS, which a transaction begun right after a commit meets and retries.
    const quiet =
      message.startsWith('Limiting retries for the idempotent producer') ||
      String(fields.error ?? message).includes('another concurrent operation on the same transaction');
    log[quiet ? 'debug' : (levels[level] ?? 'info')]({ event: 'kafka.client', ...fields }, message);
  };
}

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  /** kafkajs retries connection errors itself; callers that loop on their own pass fewer. */
  retries?: number;
  quiet?: boolean;
}

export function createKafka(o: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: o.clientId,
    brokers: o.brokers,
    logLevel: o.quiet ? logLevel.NOTHING : logLevel.WARN,
    logCreator,
    connectionTimeout: 3_000,
    retry: { retries: o.retries ?? 5, initialRetryTime: 300, maxRetryTime: 5_000 },
  });
}
