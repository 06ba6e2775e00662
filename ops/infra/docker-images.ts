import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createLogger } from '../../lib/logger';
import { cacheDir } from '../../lib/paths';
import { withProgress } from './progress';
import { aptInstall, findProgram } from './apt';
import { debianMirror, hostCodename, readAptSources } from './apt-sources';
import { dockerApi, dockerCliEnv, dockerDefaults, DockerOptions, dockerReady } from './docker';
import { logFileFor } from './process-control';
import { InfraError } from './readiness';
import { runCommand } from './run-command';

const log = createLogger('docker');

// Base images built on this machine, so that no build or run ever pulls from a registry.
export const DEBIAN_SUITE = 'bookworm';
export const debianImage = `local/debian:${DEBIAN_SUITE}`;

/** The host's own node in an image, tagged with its version; the major is in the name as in `node:20-…`. */
export function nodeImageFor(version = process.versions.node): string {
  return `local/node${version.split('.')[0]}:${version}`;
}
export const nodeImage = nodeImageFor();

const imagesDir = join(cacheDir, 'docker');
/** debootstrap takes half a minute and the mirror's time; its result is kept (git-ignored). */
export const rootfsTarball = join(imagesDir, `debian-${DEBIAN_SUITE}-minbase.tar`);

export type BaseImageStep = 'debootstrap' | 'import' | 'node-image';

export interface BaseImages {
  debianImage: string;
  nodeImage: string;
  /** How long each step took; a step that had nothing to do is absent. */
  stepsMs: Partial<Record<BaseImageStep, number>>;
}

export async function imagePresent(name: string, o: DockerOptions = dockerDefaults): Promise<boolean> {
  return (await dockerApi(`/images/${name}/json`, o))?.status === 200;
}

/** npm as the host's node installed it (`<prefix>/lib/node_modules/npm`), if it did. */
export function hostNpmDir(nodePath = process.execPath): string | undefined {
  const dir = join(dirname(nodePath), '..', 'lib', 'node_modules', 'npm');
  return existsSync(join(dir, 'package.json')) ? dir : undefined;
}

/** Copies the host's node (glibc-linked, as the bookworm rootfs is) into the Debian base image. */
export function nodeImageDockerfile(base: string, withNpm: boolean): string {
  const npmLinks = withNpm
    ? ['ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm', 'ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx']
    : [];
  return [
    `FROM ${base}`,
    'COPY node /usr/local/bin/node',
    ...(withNpm ? ['COPY npm /usr/local/lib/node_modules/npm'] : []),
    // Containers run on the host's network: npm must not look for its own updates on the internet.
    'ENV NPM_CONFIG_UPDATE_NOTIFIER=false',
    // The official node images have user node (uid 1000), and Dockerfiles written for them say `USER node`.
    `RUN ${['groupadd --gid 1000 node', 'useradd --uid 1000 --gid node --shell /bin/bash --create-home node', ...npmLinks, 'node --version', ...(withNpm ? ['npm --version'] : [])].join(' && ')}`,
    'CMD ["node"]',
    '',
  ].join('\n');
}

/**
 * debootstrap mounts /proc and /sys inside its target; a failed run can leave them mounted, and
 * deleting through a mount would delete the host's files. So: unmount first, delete only if that worked.
 */
function removeTree(dir: string): void {
  const mountsUnder = () =>
    readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1])
      .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)));
  for (const m of mountsUnder().sort().reverse()) spawnSync('umount', ['-l', m]);
  const left = mountsUnder();
  if (left.length) throw new InfraError('docker', `cannot unmount ${left.join(', ')}; left ${dir} in place`);
  rmSync(dir, { recursive: true, force: true });
}

function mirrorForDebootstrap(): string {
  const suites = [DEBIAN_SUITE, hostCodename()].filter((s): s is string => !!s);
  const mirror = debianMirror(readAptSources(), suites);
  if (!mirror) throw new InfraError('docker', `no Debian mirror serving ${suites.join(' or ')} in /etc/apt/sources.list or sources.list.d`);
  return mirror;
}

async function buildRootfsTarball(mirror: string, logFile: string): Promise<void> {
  const work = mkdtempSync(join(imagesDir, 'rootfs-'));
  const rootfs = join(work, 'rootfs');
  const partial = join(work, 'rootfs.tar');
  try {
    await runCommand('docker', 'debootstrap', ['--variant=minbase', DEBIAN_SUITE, rootfs, mirror], { logFile });
    // The downloaded .debs and package lists are a third of the tree and of no use in an image.
    rmSync(join(rootfs, 'var', 'cache', 'apt', 'archives'), { recursive: true, force: true });
    mkdirSync(join(rootfs, 'var', 'cache', 'apt', 'archives', 'partial'), { recursive: true });
    rmSync(join(rootfs, 'var', 'lib', 'apt', 'lists'), { recursive: true, force: true });
    mkdirSync(join(rootfs, 'var', 'lib', 'apt', 'lists', 'partial'), { recursive: true });
    await runCommand('docker', 'tar', ['--numeric-owner', '-C', rootfs, '-cf', partial, '.'], { logFile });
    renameSync(partial, rootfsTarball);
  } finally {
    removeTree(work);
  }
}

async function buildNodeImage(o: DockerOptions, logFile: string): Promise<void> {
  const context = mkdtempSync(join(imagesDir, 'node-context-'));
  try {
    // A hundred megabytes: copied without blocking, so the progress line keeps ticking.
    await cp(process.execPath, join(context, 'node'));
    const npm = hostNpmDir();
    if (npm) await cp(npm, join(context, 'npm'), { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(context, 'Dockerfile'), nodeImageDockerfile(debianImage, !!npm));
    await runCommand('docker', 'docker', ['build', '--network', 'host', '-t', nodeImage, context], { logFile, env: dockerCliEnv(o) });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/**
 * `local/debian:bookworm` (debootstrap minbase, imported) and `local/node<major>:<version>` (the
 * host's node copied onto it), each built only when the engine lacks it. Needs a running engine.
 */
export async function ensureBaseImages(o: DockerOptions = dockerDefaults): Promise<BaseImages> {
  if (!(await dockerReady(o))) throw new InfraError('docker', `no engine answers on ${o.socket}; run \`k2 infra up docker\` first`);
  mkdirSync(imagesDir, { recursive: true });
  const logFile = logFileFor('docker-images');
  const stepsMs: BaseImages['stepsMs'] = {};
  const timed = async (step: BaseImageStep, label: string, expectedSeconds: number, work: () => Promise<void>) => {
    const started = Date.now();
    await withProgress(label, expectedSeconds, work());
    stepsMs[step] = Date.now() - started;
    log.info({ event: 'docker.image.step', step, ms: stepsMs[step] });
  };
  if (!(await imagePresent(debianImage, o))) {
    if (!existsSync(rootfsTarball)) {
      // A user's own engine was used as it is, so nothing installed debootstrap alongside it.
      if (!findProgram('debootstrap')) await withProgress('installing debootstrap with apt-get', 5, aptInstall('docker', ['debootstrap'], logFile));
      const mirror = mirrorForDebootstrap();
      await timed('debootstrap', `debootstrap --variant=minbase ${DEBIAN_SUITE} from ${mirror}`, 40, () => buildRootfsTarball(mirror, logFile));
    }
    await timed('import', `docker import ${debianImage}`, 5, () =>
      runCommand('docker', 'docker', ['import', '--change', 'CMD ["bash"]', rootfsTarball, debianImage], { logFile, env: dockerCliEnv(o) }),
    );
  }
  if (!(await imagePresent(nodeImage, o))) {
    await timed('node-image', `building ${nodeImage} from ${debianImage}`, 10, () => buildNodeImage(o, logFile));
  }
  return { debianImage, nodeImage, stepsMs };
}
