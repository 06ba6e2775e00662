import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dockerCliEnv, dockerDefaults, dockerReady, dockerVersion, installDocker, missingDockerPackages } from '../../ops/infra/docker';
import { BaseImages, debianImage, ensureBaseImages, nodeImage } from '../../ops/infra/docker-images';
import { isRecordAlive, readRecord } from '../../ops/infra/process-control';
import { freePort, httpOk, waitUntil } from '../../ops/infra/readiness';
import { infraDown, infraUp } from '../../ops/infra/stack';

// Docker as the blue-green tests will use it: the project's engine (no bridge), the locally built
// base images, containers and a compose stack on the host's network, nothing pulled.
const run = promisify(execFile);
const docker = (...args: string[]) => run('docker', args, { env: dockerCliEnv(), maxBuffer: 16 * 1024 * 1024 });

const timings: Record<string, number> = {};
async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[step] = Date.now() - started;
  }
}

let startedHere = false;
let images: BaseImages;

beforeAll(async () => {
  // Installing on its own first, so its time is told apart from dockerd's start-up.
  if (!(await dockerReady()) && missingDockerPackages().length > 0) await timed('apt', installDocker);
  const [status] = await infraUp(['docker']);
  startedHere = status.state === 'started';
  if (status.startupMs !== undefined) timings.dockerd = status.startupMs;
  images = await timed('base images', () => ensureBaseImages());
  Object.assign(timings, images.stepsMs);
}, 600_000);

afterAll(async () => {
  process.stderr.write(`docker-engine timings (ms): ${JSON.stringify(timings)}\n`);
  if (startedHere && process.env.K2_KEEP_INFRA !== '1') await infraDown(['docker']);
}, 60_000);

/** The engine is the one the project started (and recorded), not a user's own. */
function projectEngine(): boolean {
  const record = readRecord('docker');
  return !!record && isRecordAlive(record);
}

describe('the engine', () => {
  test('answers, and the base images are there under their local names', async () => {
    expect(await dockerVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(images).toMatchObject({ debianImage: 'local/debian:bookworm', nodeImage: `local/node20:${process.versions.node}` });
    const { stdout } = await docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}');
    expect(stdout.split('\n')).toEqual(expect.arrayContaining([debianImage, nodeImage]));
  });

  test('the project-started dockerd has no bridge: no bridge network, no docker0, no-bridge flags, its own pid file', async () => {
    if (!projectEngine()) return; // a user's own engine is used as it is
    const { stdout } = await docker('network', 'ls', '--format', '{{.Name}} {{.Driver}}');
    const networks = stdout.trim().split('\n');
    expect(networks.map((n) => n.split(' ')[0]).sort()).toEqual(['host', 'none']);
    expect(networks.some((n) => n.split(' ').includes('bridge'))).toBe(false);
    expect(existsSync('/sys/class/net/docker0')).toBe(false);
    const record = readRecord('docker')!;
    const cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toEqual(expect.arrayContaining(['--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false']));
    expect(Number(readFileSync(dockerDefaults.pidFile, 'utf8'))).toBe(record.pid);
  });
});

describe('a container on the host network', () => {
  let server: Server;
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((socket) => {
      socket.once('data', (data) => {
        received.push(String(data));
        socket.end(`pong ${String(data)}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("reaches a TCP server on the host's 127.0.0.1, with the host's node version", async () => {
    const port = (server.address() as AddressInfo).port;
    const script = [
      "const s = require('net').connect(" + port + ", '127.0.0.1', () => s.write('ping from ' + process.version));",
      "s.on('data', (d) => { console.log(String(d)); s.end(); });",
    ].join(' ');
    const { stdout } = await timed('docker run', () => docker('run', '--rm', '--network', 'host', nodeImage, 'node', '-e', script));
    expect(stdout.trim()).toBe(`pong ping from ${process.version}`);
    expect(received).toEqual([`ping from ${process.version}`]);
  });
});

describe('docker-compose 1.29 with network_mode: host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k2-compose-'));
  const project = `k2probe${process.pid}`;
  const probeImage = `local/k2-compose-probe:${process.pid}`;
  const compose = (...args: string[]) => run('docker-compose', ['-p', project, '-f', join(dir, 'docker-compose.yml'), ...args], { env: dockerCliEnv(), cwd: dir });
  let up = false;

  afterAll(async () => {
    if (up) await compose('down').catch(() => undefined);
    await docker('rmi', probeImage).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test('builds FROM the local node image offline, runs two services on 127.0.0.1, and goes down fast', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    mkdirSync(join(dir, 'app'));
    // The project's Dockerfile takes its base the same way, so tests can build it offline.
    writeFileSync(
      join(dir, 'app', 'Dockerfile'),
      ['ARG BASE_IMAGE=node:20-bookworm-slim', 'FROM ${BASE_IMAGE}', 'COPY server.js /app/server.js', 'USER node', 'CMD ["node", "/app/server.js"]', ''].join('\n'),
    );
    writeFileSync(
      join(dir, 'app', 'server.js'),
      "require('http').createServer((_, res) => res.end(JSON.stringify({ name: process.env.NAME, uid: process.getuid() })))" +
        ".listen(Number(process.env.PORT), '127.0.0.1');\n",
    );
    const service = (name: string, port: number) =>
      [`  ${name}:`, `    image: ${probeImage}`, '    network_mode: host', '    init: true', `    environment: { NAME: ${name}, PORT: '${port}' }`];
    writeFileSync(
      join(dir, 'docker-compose.yml'),
      [
        'version: "3.8"',
        'services:',
        ...service('svc-a', portA),
        `    build: { context: ./app, network: host, args: { BASE_IMAGE: '${nodeImage}' } }`,
        ...service('svc-b', portB),
        '    depends_on: [svc-a]',
        '',
      ].join('\n'),
    );

    await timed('compose build', () => compose('build'));
    await timed('compose up', () => compose('up', '-d'));
    up = true;
    const urls = [portA, portB].map((p) => `http://127.0.0.1:${p}/`);
    await waitUntil('compose', async () => (await Promise.all(urls.map((u) => httpOk(u)))).every(Boolean), { timeoutMs: 30_000 });
    const answers = await Promise.all(urls.map(async (u) => (await fetch(u)).json()));
    expect(answers).toEqual([
      { name: 'svc-a', uid: 1000 },
      { name: 'svc-b', uid: 1000 },
    ]);
    // Services with network_mode set get no project network.
    const { stdout } = await docker('network', 'ls', '--format', '{{.Name}}');
    expect(stdout.split('\n').filter((n) => n.startsWith(project))).toEqual([]);

    await timed('compose down', () => compose('down'));
    up = false;
    // With init: true, node gets SIGTERM from tini and stops at once instead of after compose's 10 s.
    expect(timings['compose down']).toBeLessThan(8_000);
    expect((await Promise.all(urls.map((u) => httpOk(u, 500)))).some(Boolean)).toBe(false);
  }, 180_000);
});
