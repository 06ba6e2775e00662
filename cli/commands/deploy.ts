import { Command, InvalidArgumentError, Option } from 'commander';
import { WorkflowHandle, WorkflowIdReusePolicy } from '@temporalio/client';
import { Config, loadConfig } from '../../lib/config';
import { demoNames } from '../demo-names';
import { parseDuration } from '../../lib/duration';
import { createLogger } from '../../lib/logger';
import { abortSignal, approveSignal, DeploymentProgress, progressQuery } from '../../workflows/blue-green-api';
import { blueGreenDeployment } from '../../workflows';
import { runDeployer } from '../../workers/deployer';
import { positiveNumber } from '../options';
import { connectClient } from '../session';

const log = createLogger('deploy');

const duration = (v: string) => {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};
const keyValue = (v: string, acc: Record<string, string> = {}) => {
  const i = v.indexOf('=');
  if (i < 1) throw new InvalidArgumentError('must be NAME=value');
  return { ...acc, [v.slice(0, i)]: v.slice(i + 1) };
};

export const deploymentId = (buildId: string) => `deploy-${buildId}`;

/** The settings, or the demo's names over them (`--demo`: the deployment of `npm run demo`). */
const configFor = (demo?: boolean): Config => (demo ? loadConfig(process.env, demoNames(loadConfig())) : loadConfig());

export function describeProgress(p: DeploymentProgress): string {
  const done = p.steps.filter((s) => s.endedAt).map((s) => `${s.step} ${s.ok ? 'ok' : 'FAILED'}${s.ms !== undefined ? ` (${(s.ms / 1000).toFixed(1)} s)` : ''}`);
  const now = p.outcome ? `outcome: ${p.outcome}${p.reason ? ` (${p.reason})` : ''}` : `now: ${p.step}`;
  const extra = [
    p.comparisons.length ? `${p.comparisons.length} comparison(s), last ${p.comparisons[p.comparisons.length - 1].ok ? 'equal' : 'DIFFERENT'}` : '',
    p.cutoverGapMs !== undefined ? `cutover gap ${p.cutoverGapMs} ms` : '',
    p.rollbackMs !== undefined ? `rollback ${p.rollbackMs} ms` : '',
  ].filter(Boolean);
  return [`deploy ${p.buildId} over ${p.blueBuildId || '?'}: ${now}`, done.join(', '), extra.join(', ')].filter(Boolean).join(' | ');
}

interface StartFlags {
  buildId: string;
  driver: 'process' | 'compose' | 'external';
  source?: string;
  manualApproval?: boolean;
  smoke: number;
  dual: number;
  validate: number;
  checkEvery?: number;
  maxGreenRssMb?: number;
  greenEnv?: Record<string, string>;
  follow: boolean;
  demo?: boolean;
  thenValidate?: number;
  validationInterval?: number;
}

export function deployCommand(): Command {
  const deploy = new Command('deploy').description('blue-green deployment of a new build (Temporal Worker Versioning): start, status, approve, abort');
  deploy
    .command('start')
    .description('deploy build --build-id next to the current one, compare, cut over, validate, roll back on failure')
    .requiredOption('--build-id <id>', 'the new build (green)')
    .addOption(new Option('--driver <d>', 'how green is built and run').choices(['process', 'compose', 'external']).default('process'))
    .option('--source <ref>', 'git ref to build (process driver; default: the current checkout as built)')
    .option('--manual-approval', 'wait for `k2 deploy approve` before the cutover')
    .option('--smoke <d>', 'smoke test: a shadow session on green', duration, 60_000)
    .option('--dual <d>', 'dual operation: green shadows blue, compared', duration, 10 * 60_000)
    .option('--validate <d>', 'validation after the cutover', duration, 15 * 60_000)
    .option('--check-every <d>', 'comparison and validation interval (default: a fifth of dual operation)', duration)
    .option('--max-green-rss-mb <n>', "green's memory threshold", positiveNumber)
    .option('--green-env <NAME=value>', "a setting for green's workers (repeatable)", keyValue)
    .option('--then-validate <days>', 'after a landing deployment, start the production validation of the build (days)', positiveNumber)
    .option('--validation-interval <d>', 'time between the validation checks (default 24h)', duration)
    .option('--no-follow', 'start it and return')
    .option('--demo', "deploy next to `npm run demo`'s workers (the demo's names)")
    .action(async (f: StartFlags) => {
      const config = configFor(f.demo);
      const { client, connection } = await connectClient(config);
      try {
        const handle = await client.workflow.start(blueGreenDeployment, {
          taskQueue: config.deploy_task_queue,
          workflowId: deploymentId(f.buildId),
          // A deployment of a build that was rolled back may be tried again; one running is refused.
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          args: [
            {
              buildId: f.buildId,
              driver: f.driver,
              source: f.source,
              manualApproval: !!f.manualApproval,
              smokeMs: f.smoke,
              dualMs: f.dual,
              validateMs: f.validate,
              checkEveryMs: f.checkEvery,
              maxGreenRssMb: f.maxGreenRssMb,
              greenEnv: f.greenEnv,
              validation: f.thenValidate ? { days: f.thenValidate, intervalMs: f.validationInterval } : undefined,
              requestedBy: process.env.USER ?? 'k2',
            },
          ],
        });
        console.log(`started ${handle.workflowId} on ${config.deploy_task_queue} (a deployer must run: k2 deployer, npm start or npm run demo)`);
        if (!f.follow) return;
        const result = handle.result();
        let done = false;
        void result.finally(() => (done = true));
        let last = '';
        while (!done) {
          // The query needs a deployer: until one picks the workflow up there is nothing to say.
          const p = await handle.query(progressQuery).catch(() => undefined);
          const line = p ? describeProgress(p) : `deploy ${f.buildId}: waiting for a deployer to pick it up`;
          if (line !== last) console.log(line);
          last = line;
          await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 2_000))]);
        }
        const final = await result;
        console.log(describeProgress(final));
        log.info({ event: 'deploy.finished', buildId: f.buildId, outcome: final.outcome });
        if (final.outcome !== 'deployed') process.exitCode = 1;
      } finally {
        await connection.close();
      }
    });

  const byBuild = (name: string, description: string, act: (h: WorkflowHandle<typeof blueGreenDeployment>, f: { reason?: string }) => Promise<string>) =>
    deploy
      .command(name)
      .description(description)
      .requiredOption('--build-id <id>', 'the build being deployed')
      .option('--reason <text>', 'why (abort)')
      .option('--demo', "the deployment of `npm run demo`'s workers")
      .action(async (f: { buildId: string; reason?: string; demo?: boolean }) => {
        const { client, connection } = await connectClient(configFor(f.demo));
        try {
          console.log(await act(client.workflow.getHandle<typeof blueGreenDeployment>(deploymentId(f.buildId)), f));
        } finally {
          await connection.close();
        }
      });
  byBuild('status', "the deployment's progress (its progress query)", async (h) => describeProgress(await h.query(progressQuery)));
  byBuild('approve', 'let a --manual-approval deployment cut over', async (h) => (await h.signal(approveSignal), `sent approve to ${h.workflowId}`));
  byBuild('abort', 'roll back now', async (h, f) => (await h.signal(abortSignal, f.reason ?? 'k2 deploy abort'), `sent abort to ${h.workflowId}`));
  return deploy;
}

export function deployerCommand(): Command {
  return new Command('deployer')
    .description('run the deployer: the worker that runs blue-green deployments (on deploy_task_queue)')
    .action(() => runDeployer());
}
