import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { createLogger } from '../../lib/logger';
import { stateDir } from '../../lib/paths';
import { withProgress } from './progress';
import { aptInstall, findProgram } from './apt';
import { isRecordAlive, logFileFor, ProcessRecord, startDetached } from './process-control';
import { InfraError, waitUntil } from './readiness';

const log = createLogger('docker');

export interface DockerOptions {
  /** The API socket. The default one lets the docker CLI and docker-compose find the engine without DOCKER_HOST. */
  socket: string;
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  /** The daemon config of the engine the project starts; see `dockerdArgs`. */
  configFile: string;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';

/** The socket a unix DOCKER_HOST names, or Docker's default one; undefined for a DOCKER_HOST over TCP. */
export function socketFromDockerHost(dockerHost: string | undefined): string | undefined {
  if (!dockerHost) return DEFAULT_SOCKET;
  return dockerHost.startsWith('unix://') ? dockerHost.slice('unix://'.length) : undefined;
}

export const dockerDefaults: DockerOptions = {
  socket: socketFromDockerHost(process.env.DOCKER_HOST) ?? DEFAULT_SOCKET,
  dataRoot: '/var/lib/docker',
  execRoot: '/var/run/docker',
  pidFile: join(stateDir, 'docker', 'dockerd.pid'),
  configFile: join(stateDir, 'docker', 'daemon.json'),
};

/**
 * No default bridge (so no docker0 and no 172.17 network), no iptables or NAT rules, no IP
 * forwarding switched on: containers run with the host's network and reach 127.0.0.1 only.
 */
export const noBridgeSettings = { bridge: 'none', iptables: false, ip6tables: false, 'ip-masq': false, 'ip-forward': false } as const;

/** Containers that run for weeks keep their logs bounded. */
export function projectDaemonConfig(): Record<string, unknown> {
  return { 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m', 'max-file': '3' } };
}

/**
 * The network settings go on the command line, where `ps` shows them. The daemon reads the
 * project's own config file, not /etc/docker/daemon.json: dockerd refuses a setting given both as
 * a flag and in its file, and a user's file (a `hosts` entry on TCP, a `bip`) must not shape the
 * engine the project starts.
 */
export function dockerdArgs(o: DockerOptions): string[] {
  return [
    ...Object.entries(noBridgeSettings).map(([key, value]) => `--${key}=${value}`),
    `--host=unix://${o.socket}`,
    `--pidfile=${o.pidFile}`,
    `--data-root=${o.dataRoot}`,
    `--exec-root=${o.execRoot}`,
    `--config-file=${o.configFile}`,
  ];
}

/**
 * /etc/docker/daemon.json with the no-bridge settings merged in. It is written before docker.io is
 * installed: on a machine whose package scripts start services, the init script's dockerd reads it
 * and never creates the bridge.
 */
export function systemDaemonJson(existing: string | undefined, file = '/etc/docker/daemon.json'): string {
  let current: Record<string, unknown> = {};
  if (existing?.trim()) {
    try {
      current = JSON.parse(existing) as Record<string, unknown>;
    } catch {
      throw new InfraError('docker', `${file} is not valid JSON; fix or remove it first`);
    }
  }
  return `${JSON.stringify({ ...current, ...noBridgeSettings }, null, 2)}\n`;
}

/** What the docker CLI and docker-compose need to build and run against this engine. */
export function dockerCliEnv(o: DockerOptions = dockerDefaults): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DOCKER_HOST: `unix://${o.socket}`,
    // The static CLI 28 on PATH builds with BuildKit by default and has no buildx plugin here;
    // the engine's legacy builder builds offline. Compose 1.29 then builds through the API too.
    DOCKER_BUILDKIT: '0',
    COMPOSE_DOCKER_CLI_BUILD: '0',
  };
}

/** One GET on the engine's API socket; undefined when nothing answers there. */
export function dockerApi(path: string, o: DockerOptions = dockerDefaults, timeoutMs = 2_000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = request({ socketPath: o.socket, path, method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

export async function dockerReady(o: DockerOptions = dockerDefaults): Promise<boolean> {
  return (await dockerApi('/_ping', o))?.body === 'OK';
}

/** The engine's version (e.g. 20.10.24), or undefined when none answers. */
export async function dockerVersion(o: DockerOptions = dockerDefaults): Promise<string | undefined> {
  const res = await dockerApi('/version', o);
  return res?.status === 200 ? (JSON.parse(res.body) as { Version: string }).Version : undefined;
}

/** Each package, and the program that shows it is installed. */
const packagePrograms = { 'docker.io': 'dockerd', 'docker-compose': 'docker-compose', debootstrap: 'debootstrap' } as const;

export function missingDockerPackages(): string[] {
  return Object.entries(packagePrograms)
    .filter(([, program]) => !findProgram(program))
    .map(([pkg]) => pkg);
}

function assertRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new InfraError('docker', `${what} needs root`);
}

/** Debian's docker.io (engine 20.10), docker-compose 1.29 and debootstrap, unless all are there. */
export async function installDocker(): Promise<void> {
  const missing = missingDockerPackages();
  if (missing.length === 0) return;
  assertRoot(`installing ${missing.join(', ')}`);
  const file = '/etc/docker/daemon.json';
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, systemDaemonJson(existsSync(file) ? readFileSync(file, 'utf8') : undefined, file));
  const started = Date.now();
  await withProgress(`installing ${missing.join(' ')} with apt-get`, 20, aptInstall('docker', missing, logFileFor('docker-install')));
  log.info({ event: 'docker.installed', packages: missing, ms: Date.now() - started });
}

/** Grace for `infra down`: dockerd first stops its containers (its own 15 s timeout), then containerd. */
export const dockerStopGraceMs = 30_000;

/**
 * Starts dockerd, recorded as part `docker` so `k2 infra down docker` stops exactly it. An engine
 * that already answers (the user's, or one a package script started) is used as it is: nothing is
 * started and nothing recorded.
 */
export async function startDocker(o: DockerOptions = dockerDefaults): Promise<ProcessRecord | undefined> {
  if (socketFromDockerHost(process.env.DOCKER_HOST) === undefined) {
    throw new InfraError('docker', `DOCKER_HOST=${process.env.DOCKER_HOST} is not a unix socket; the project starts engines on unix sockets only`);
  }
  if (await dockerReady(o)) return undefined;
  const dockerd = findProgram('dockerd');
  if (!dockerd) throw new InfraError('docker', 'dockerd is not installed (`k2 infra up docker` installs docker.io)');
  assertRoot('dockerd');
  mkdirSync(dirname(o.pidFile), { recursive: true });
  mkdirSync(dirname(o.configFile), { recursive: true });
  writeFileSync(o.configFile, `${JSON.stringify(projectDaemonConfig(), null, 2)}\n`);
  // dockerd looks up containerd, runc and docker-init (compose's `init: true`) on PATH.
  const path = [process.env.PATH, '/usr/local/sbin', '/usr/sbin', '/sbin'].filter(Boolean).join(':');
  const record = startDetached('docker', dockerd, dockerdArgs(o), { env: { ...process.env, PATH: path } });
  await waitUntil('docker', () => dockerReady(o), {
    timeoutMs: 60_000,
    intervalMs: 200,
    alive: () => isRecordAlive(record),
    logFile: record.logFile,
  });
  return record;
}
