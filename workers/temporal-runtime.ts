import { DefaultLogger, LogLevel, Runtime } from '@temporalio/worker';
import { createLogger } from '../lib/logger';

const log = createLogger('temporal');
const methods: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Installs the SDK runtime once per process, before any worker or connection exists (the SDK
 * throws otherwise): its logs and sdk-core's go to our JSON lines, and its own metrics are
 * served in Prometheus format on `metricsAddress` (the worker's metrics stay on :9091).
 */
export function installTemporalRuntime(options: { metricsAddress?: string } = {}): void {
  Runtime.install({
    // The worker handles SIGINT/SIGTERM itself, so running streams flush first.
    shutdownSignals: [],
    logger: new DefaultLogger('INFO', (entry) => {
      log[methods[entry.level]]({ event: 'temporal.sdk', ...entry.meta }, entry.message);
    }),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(options.metricsAddress ? { metrics: { prometheus: { bindAddress: options.metricsAddress } } } : {}),
    },
  });
}
