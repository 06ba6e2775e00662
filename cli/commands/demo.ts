import { Command } from 'commander';
import { envName, loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { demoNames } from '../demo-names';
import { nonNegativeInt, positiveNumber, symbolList } from '../options';
import { startSession } from '../session';
import { startSimulatorProcess } from '../simulator-process';
import { startStatusLine } from '../status-line';
import { WorkerSupervisor } from '../worker-supervisor';
import { createDeployer } from '../../workers/create-deployer';
import { localInfra, stopInfra, webUiUrl } from './start';

const log = createLogger('demo');

interface DemoFlags {
  symbols: string[];
  rate: number;
  rotateEvery: number;
  port: number;
}

async function runDemo(f: DemoFlags): Promise<void> {
  // Derived before anything starts, so a bad setting stops the demo before it spawns processes.
  const names = demoNames(loadConfig());
  log.info({ event: 'demo.names', ...names });
  console.log(
    `demo names (derived from the configured ones, which the demo never uses): session ${names.workflow_id}, task queue ${names.task_queue}, topic ${names.kafka_topic}, dead letters ${names.kafka_dlq_topic}`,
  );
  const started = await localInfra();
  const sim = await startSimulatorProcess(['--port', String(f.port), '--control-port', String(f.port + 1), '--symbols', f.symbols.join(','), '--rate', String(f.rate)]);
  const { urls } = sim;
  console.log(`simulator: ${urls.ws} (control ${urls.control})`);
  const env = {
    ...process.env,
    BINANCE_WS_URLS: urls.ws,
    BINANCE_REST_URLS: urls.rest,
    SYMBOLS: f.symbols.join(','),
    CONNECTION_MAX_LIFETIME_HOURS: String(f.rotateEvery / 3600),
    STATUS_REPORT_INTERVAL_SECONDS: process.env.STATUS_REPORT_INTERVAL_SECONDS ?? '5',
    // The supervised worker reads the demo's names from its environment, as any worker would.
    ...Object.fromEntries(Object.entries(names).map(([setting, value]) => [envName(setting), value])),
  };
  const config = loadConfig(env);
  const workers = new WorkerSupervisor(env, { say: (line) => console.log(`${line}${line.includes('started') ? ' (kill it: the session resumes on the next worker, with no gap)' : ''}`) });
  workers.start();
  // A deployer for the demo's own Worker Deployment: `k2 deploy start --demo --build-id demo-2`.
  const deployer = await createDeployer(config);
  const deploying = deployer.worker.run();
  const { session, started: fresh } = await startSession(config, {
    symbols: f.symbols,
    workflowId: config.workflow_id,
  });
  console.log(`${fresh ? 'started' : 'continuing'} session ${config.workflow_id} into ${config.kafka_topic}, rotating every ${f.rotateEvery} s; Ctrl-C ends the demo`);
  console.log(`look at it: k2 stream status --workflow-id ${config.workflow_id}; k2 audit --topic ${config.kafka_topic}`);
  console.log(`deploy a new build next to it: k2 deploy start --demo --build-id demo-2 --smoke 20s --dual 1m --validate 1m`);
  const stopLine = startStatusLine(session.handle, { workerPid: () => workers.child?.pid, webUi: webUiUrl(config) });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopLine();
  console.log('stopping: the worker flushes and hands back its cursor');
  // The SDK may have begun shutting it down on the same Ctrl-C.
  if (deployer.worker.getState() === 'RUNNING') deployer.worker.shutdown();
  await deploying.catch(() => undefined);
  await deployer.close();
  await workers.stop();
  await session.close();
  await sim.stop();
  await stopInfra(started);
}

/** The derivation as the help shows it; the examples are computed, so they cannot drift from it. */
function namesHelp(): string[] {
  const d = demoNames(loadConfig({}));
  const rows: [string, string, string][] = [
    ['workflow id', '<workflow_id>-demo', d.workflow_id],
    ['task queue', '<task_queue>-demo', d.task_queue],
    ['topic', 'demo.<kafka_topic>', d.kafka_topic],
    ['dead letters', 'demo.<kafka_dlq_topic>', d.kafka_dlq_topic],
  ];
  return rows.map(([what, rule, example]) => `  ${what.padEnd(12)}  ${rule.padEnd(22)}  ${example}`);
}

export function demoCommand(): Command {
  return new Command('demo')
    .summary('the service against the bundled simulator, under names of its own (no internet needed)')
    .description(
      [
        'the service against the bundled simulator (no internet needed): infrastructure,',
        'simulator, a supervised worker, a session.',
        '',
        'It never uses the configured names, so it cannot touch the production session,',
        'its task queue or its topics. It derives its own (with the defaults):',
        ...namesHelp(),
        'Names set explicitly (WORKFLOW_ID, TASK_QUEUE, KAFKA_TOPIC, KAFKA_DLQ_TOPIC or',
        'the config file) are derived from the same way, never used as they are.',
      ].join('\n'),
    )
    .option('--symbols <list>', 'symbols', symbolList, ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'])
    .option('--rate <n>', 'trades per second per symbol', positiveNumber, 20)
    .option('--rotate-every <s>', 'connection lifetime in seconds (planned rotation)', positiveNumber, 60)
    .option('--port <n>', 'simulator port (control port is the next one)', nonNegativeInt, 19443)
    .action(runDemo);
}
