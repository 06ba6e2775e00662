import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '../../lib/logger';
import { stateDir } from '../../lib/paths';
import { kafkaJavaArgs, log4jProperties } from './kafka';
import { InfraError } from './readiness';

const log = createLogger('kafka-quota');
const run = promisify(execFile);

// kafkajs has no AlterClientQuotas, so the broker's own ConfigCommand (in kafka_2.13, already on
// the broker classpath) does it. A short-lived JVM: small heap, no C2 compiler.
const toolJvm = { heapMb: 128, log4jFile: join(stateDir, 'kafka-tools', 'log4j2.properties'), extraFlags: ['-XX:TieredStopAtLevel=1'] };

async function configCommand(bootstrap: string | string[], args: string[]): Promise<string> {
  mkdirSync(join(stateDir, 'kafka-tools'), { recursive: true });
  writeFileSync(toolJvm.log4jFile, log4jProperties());
  const servers = Array.isArray(bootstrap) ? bootstrap.join(',') : bootstrap;
  const javaArgs = kafkaJavaArgs(toolJvm, 'kafka.admin.ConfigCommand', ['--bootstrap-server', servers, '--entity-type', 'clients', ...args]);
  try {
    const { stdout } = await run('java', javaArgs, { timeout: 60_000 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new InfraError('kafka-quota', `ConfigCommand ${args.join(' ')} failed: ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`.trim());
  }
}

/** The producer byte rate quota the brokers hold for a client id, in bytes per second per broker. */
export async function producerQuotaOf(bootstrap: string | string[], clientId: string): Promise<number | undefined> {
  const out = await configCommand(bootstrap, ['--describe', '--entity-name', clientId]);
  const match = /producer_byte_rate=([\d.]+)/.exec(out);
  return match ? Number(match[1]) : undefined;
}

/**
 * Caps what producers with this client id may write, per broker, or lifts the cap (`undefined`).
 * The broker enforces it by answering produce requests with a throttle time and muting the
 * connection for that long. Its rate is measured over quota.window.num × quota.window.size.seconds
 * (11 × 1 s by default) and, until that much time has passed, as if the whole window had: a new
 * client may write about ten seconds' worth at full speed before the first throttle.
 */
export async function setProducerQuota(bootstrap: string | string[], clientId: string, bytesPerSecond: number | undefined): Promise<void> {
  if (bytesPerSecond === undefined) {
    // Deleting a quota that is not set fails ("Invalid config(s)"): lifting none is not an error here.
    if ((await producerQuotaOf(bootstrap, clientId)) !== undefined) {
      await configCommand(bootstrap, ['--alter', '--entity-name', clientId, '--delete-config', 'producer_byte_rate']);
    }
  } else {
    if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) {
      throw new InfraError('kafka-quota', `producer_byte_rate must be a positive number of bytes per second, not ${bytesPerSecond}`);
    }
    await configCommand(bootstrap, ['--alter', '--entity-name', clientId, '--add-config', `producer_byte_rate=${Math.round(bytesPerSecond)}`]);
  }
  log.info({ event: 'kafka.producer-quota-set', clientId, bytesPerSecond: bytesPerSecond ?? null });
}
