import { checkSchemaRegistry, explainRegistryError, RegistrySettings } from './avro/registry-client';
import { ConnectionSetupError } from './connection-errors';
import { checkKafka, explainKafkaError, KafkaSettings } from './kafka/client';
import { Logger } from './logger';

/**
 * Start-up check of Kafka and the registry. A refused password or certificate stops start-up
 * with a ConnectionSetupError naming the settings (retrying would only repeat it); a part that
 * does not answer only warns: the worker starts, and /readyz says what is missing until it does.
 */
export async function checkConnections(config: KafkaSettings & RegistrySettings, log: Logger): Promise<void> {
  const checks: [string, () => Promise<void>][] = [
    ['kafka', () => checkKafka(config)],
    ['schema registry', () => checkSchemaRegistry(config)],
  ];
  const results = await Promise.allSettled(checks.map(([, check]) => check()));
  const refused = results.flatMap((r) => (r.status === 'rejected' && r.reason instanceof ConnectionSetupError ? [r.reason] : []));
  if (refused.length) throw refused[0];
  results.forEach((r, i) => {
    if (r.status === 'rejected') {
      const part = checks[i][0];
      log.warn({ event: 'connection.unreachable', part, err: (r.reason as Error).message }, `${part} did not answer at start-up; starting anyway`);
    }
  });
}

/**
 * A stream attempt's failure as a ConnectionSetupError when Kafka or the registry refused a
 * credential or certificate (rotated, revoked, expired since start-up); undefined otherwise.
 * Which part failed is told by the client that threw: kafkajs errors are KafkaJS*, the registry
 * client's name Confluent_Schema_Registry.
 */
export function explainStreamError(config: KafkaSettings & RegistrySettings, err: unknown): ConnectionSetupError | undefined {
  const e = err as { name?: unknown; message?: unknown } | undefined;
  const text = `${String(e?.name ?? '')} ${String(e?.message ?? '')}`;
  const explained = /Confluent_Schema_Registry/.test(text) ? explainRegistryError(config, err) : /KafkaJS/.test(text) ? explainKafkaError(config, err) : undefined;
  return explained instanceof ConnectionSetupError ? explained : undefined;
}
