import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { Config, isExplicitlySet, loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { describeStatus, infraDown, infraUp, PartName } from '../../ops/infra/stack';
import { temporalDefaults } from '../../ops/infra/temporal';
import { streamWorkerCommand } from '../../workers/worker-launch';
import { startSession } from '../session';
import { startStatusLine } from '../status-line';

const log = createLogger('k2');

/** Local Temporal and Kafka unless TEMPORAL_ADDRESS / KAFKA_BROKERS point elsewhere; returns what it started. */
export async function localInfra(): Promise<PartName[]> {
  const local: PartName[] = [];
  if (!isExplicitlySet('temporal_address')) local.push('temporal');
  if (!isExplicitlySet('kafka_brokers')) local.push('kafka');
  if (!local.length) return [];
  const statuses = await infraUp(local);
  console.log(describeStatus(statuses));
  return statuses.filter((s) => s.state === 'started').map((s) => s.part);
}

export async function stopInfra(started: PartName[]): Promise<void> {
  if (!started.length) return;
  log.info({ event: 'service.stopping-infra', parts: started });
  console.log(describeStatus(await infraDown(started)));
}

export function webUiUrl(config: Config): string | undefined {
  if (isExplicitlySet('temporal_address')) return undefined;
  return `http://${temporalDefaults.host}:${temporalDefaults.uiPort}/namespaces/${config.temporal_namespace}/workflows/${config.workflow_id}`;
}

/**
 * The stream worker as a process of its own, so its memory bounds (worker_heap_mb, ...) hold from
 * its start. SIGINT and SIGTERM reach it as SIGTERM (on a terminal, Ctrl-C reaches it directly
 * too): it drains and exits; `exited` rejects if it ends any other way than with code 0.
 */
function startWorkerProcess(config: Config): { pid: number | undefined; exited: Promise<void>; stop(): void } {
  const { command, args, env } = streamWorkerCommand(config);
  const child = spawn(command, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`the worker exited (${signal ?? `code ${code}`})`))));
  }).finally(() => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
  return { pid: child.pid, exited, stop };
}

/**
 * The service as `npm start` runs it: infrastructure, the stream worker (a child process), and
 * the stream session for the configured symbols (started unless it already runs). Ctrl-C
 * drains the worker (the session keeps its cursor in Temporal) and stops what this started.
 */
export async function runService(): Promise<void> {
  const config = loadConfig();
  const started = await localInfra();
  const worker = startWorkerProcess(config);
  let stopLine = () => {};
  try {
    const { session, started: fresh } = await startSession(config, { symbols: config.symbols, workflowId: config.workflow_id });
    console.log(
      `${fresh ? 'started' : 'continuing'} session ${config.workflow_id}: ${config.symbols.join(', ')} from ${config.binance_ws_urls[0]} into ${config.kafka_topic} on ${config.kafka_brokers.join(',')}`,
    );
    console.log('Ctrl-C stops the worker (the session resumes from its cursor next time) and the local services this command started.');
    stopLine = startStatusLine(session.handle, { workerPid: () => worker.pid, webUi: webUiUrl(config) });
    await worker.exited;
    await session.close();
  } catch (err) {
    worker.stop(); // let the worker drain before the error surfaces
    throw err;
  } finally {
    stopLine();
    await worker.exited.catch(() => undefined);
    await stopInfra(started);
  }
}

export function startCommand(): Command {
  return new Command('start')
    .description('run the service: local infrastructure (unless pointed elsewhere), the worker and the stream session')
    .action(runService);
}
