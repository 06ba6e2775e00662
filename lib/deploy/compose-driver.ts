import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dockerCliEnv } from '../../ops/infra/docker';
import { imagePresent, nodeImage } from '../../ops/infra/docker-images';
import { logFileFor } from '../../ops/infra/process-control';
import { freePort } from '../../ops/infra/readiness';
import { runCommand } from '../../ops/infra/run-command';
import { cacheDir, projectRoot, stateDir } from '../paths';
import { workerProcessTree } from '../process-tree';
import { BuildResult, DeployDriver, StartedWorkers } from './deploy-driver';

const run = promisify(execFile);

export const SLOTS = ['worker-blue', 'worker-green'] as const;
export type Slot = (typeof SLOTS)[number];

export const imageFor = (buildId: string) => `k2-platform:${buildId}`;

export interface ComposeDriverOptions {
  /** Settings every container of a build gets (the deployer's own, as environment). */
  settingsEnv: Record<string, string>;
  composeFile?: string;
  /** The compose project (docker-compose -p); default COMPOSE_PROJECT_NAME or k2-stream. */
  project?: string;
  /** FROM of the image; default K2_BASE_IMAGE, else the local Node image when the engine has it, else the Dockerfile's. */
  baseImage?: string;
}

interface SlotContainer {
  slot: Slot;
  id: string;
  image: string;
  running: boolean;
}

/** What a slot's variables are called in docker-compose.yml: K2_BLUE_BUILD, K2_GREEN_ENV_FILE. */
const slotVar = (slot: Slot, what: 'BUILD' | 'ENV_FILE') => `K2_${slot.slice('worker-'.length).toUpperCase()}_${what}`;

/**
 * Builds the image k2-platform:<build id> from a checkout and runs it as the compose service
 * worker-blue or worker-green, whichever does not hold another build: blue and green swap
 * slots from one deployment to the next. Containers run on the host's network, so each gets its
 * own metrics port; settings reach it through an env file per slot, written at start.
 */
export function composeDriver(o: ComposeDriverOptions): DeployDriver {
  const composeFile = o.composeFile ?? join(projectRoot, 'docker-compose.yml');
  const project = o.project ?? process.env.COMPOSE_PROJECT_NAME ?? 'k2-stream';
  const logFile = logFileFor(`compose-${project}`);
  const docker = async (...args: string[]) => (await run('docker', args, { env: dockerCliEnv(), maxBuffer: 16 * 2 ** 20 })).stdout;
  const compose = (args: string[], env: Record<string, string> = {}) =>
    runCommand('deploy', 'docker-compose', ['-p', project, '-f', composeFile, '--profile', 'deploy', ...args], {
      logFile,
      cwd: projectRoot,
      env: { ...dockerCliEnv(), ...env },
    });

  async function containers(): Promise<SlotContainer[]> {
    const out = await docker('ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Label "com.docker.compose.service"}}\t{{.ID}}\t{{.Image}}\t{{.State}}');
    return out
      .split('\n')
      .map((line) => line.split('\t'))
      .filter(([service]) => (SLOTS as readonly string[]).includes(service))
      .map(([slot, id, image, state]) => ({ slot: slot as Slot, id, image, running: state === 'running' }));
  }

  const ofBuild = async (buildId: string) => (await containers()).filter((c) => c.image === imageFor(buildId));

  async function baseImage(): Promise<string | undefined> {
    if (o.baseImage ?? process.env.K2_BASE_IMAGE) return o.baseImage ?? process.env.K2_BASE_IMAGE;
    return (await imagePresent(nodeImage)) ? nodeImage : undefined;
  }

  return {
    name: 'compose',

    async build(buildId, source): Promise<BuildResult> {
      const started = Date.now();
      let context = projectRoot;
      if (source !== undefined) {
        context = join(cacheDir, 'builds', buildId.replace(/[^A-Za-z0-9._-]/g, '_'), 'src');
        rmSync(context, { recursive: true, force: true });
        await runCommand('deploy', 'git', ['-C', projectRoot, 'worktree', 'add', '--detach', '--force', context, source], { logFile });
        // Hard links: the image's build context needs real files (a symlink would go in as a link), at no copy.
        await runCommand('deploy', 'cp', ['-al', join(projectRoot, 'node_modules'), join(context, 'node_modules')], { logFile });
      }
      const base = await baseImage();
      await runCommand(
        'deploy',
        'docker',
        ['build', '--network', 'host', ...(base ? ['--build-arg', `BASE_IMAGE=${base}`] : []), '--build-arg', `BUILD_ID=${buildId}`, '-t', imageFor(buildId), context],
        { logFile, env: dockerCliEnv() },
      );
      return { buildId, artifact: `${imageFor(buildId)}${base ? ` (from ${base})` : ''}`, ms: Date.now() - started };
    },

    async start(buildId, env): Promise<StartedWorkers> {
      if (!(await imagePresent(imageFor(buildId)))) throw new Error(`image ${imageFor(buildId)} is not built`);
      const all = await containers();
      const slot = all.find((c) => c.image === imageFor(buildId))?.slot ?? SLOTS.find((s) => !all.some((c) => c.slot === s && c.running));
      if (!slot) throw new Error(`both ${SLOTS.join(' and ')} of compose project ${project} run other builds: stop one first`);
      const metricsPort = await freePort();
      const settings = { ...o.settingsEnv, ...env, BUILD_ID: buildId, METRICS_PORT: String(metricsPort), TEMPORAL_METRICS_PORT: '0' };
      const envFile = join(stateDir, 'deploy', `${project}-${slot}.env`);
      mkdirSync(join(stateDir, 'deploy'), { recursive: true });
      writeFileSync(envFile, `${Object.entries(settings).map(([k, v]) => `${k}=${String(v)}`).join('\n')}\n`, { mode: 0o600 });
      await compose(['up', '-d', '--no-deps', '--force-recreate', slot], { [slotVar(slot, 'BUILD')]: buildId, [slotVar(slot, 'ENV_FILE')]: envFile });
      return { buildId, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, detail: `${slot} of ${project} (${imageFor(buildId)}), log: docker-compose -p ${project} logs ${slot}` };
    },

    async stop(buildId) {
      const found = await ofBuild(buildId);
      if (found.length === 0) return `no container of ${imageFor(buildId)} in ${project}`;
      // Compose would stop the slot with the file's variables; by container id it is exactly this build.
      await docker('stop', '-t', '60', ...found.map((c) => c.id));
      await docker('rm', '-f', ...found.map((c) => c.id));
      return `stopped ${found.map((c) => c.slot).join(', ')} (${imageFor(buildId)})`;
    },

    async rssMb(buildId) {
      const running = (await ofBuild(buildId)).filter((c) => c.running);
      if (running.length === 0) return undefined;
      let mb = 0;
      for (const c of running) {
        // The container's first process (tini) as the host sees it; the worker processes are its tree.
        const pid = Number((await docker('inspect', '-f', '{{.State.Pid}}', c.id)).trim());
        mb += (workerProcessTree(pid)?.rssBytes ?? 0) / 2 ** 20;
      }
      return mb;
    },
  };
}

