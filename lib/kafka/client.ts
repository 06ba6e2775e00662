import { Kafka, logLevel } from 'kafkajs';
import { logCreator } from './kafka-log';

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
