import { debianMirror, parseDeb822Sources, parseOneLineSources } from '../../../ops/infra/apt-sources';
import { dockerdArgs, dockerDefaults, noBridgeSettings, projectDaemonConfig, socketFromDockerHost, systemDaemonJson } from '../../../ops/infra/docker';
import { debianImage, nodeImageDockerfile, nodeImageFor } from '../../../ops/infra/docker-images';
import { parsePartNames } from '../../../ops/infra/stack';

describe('dockerd arguments', () => {
  const args = dockerdArgs({ ...dockerDefaults, pidFile: '/tmp/k2/dockerd.pid', configFile: '/tmp/k2/daemon.json' });

  test('no bridge, no iptables or NAT, no forwarding', () => {
    expect(args).toEqual(
      expect.arrayContaining(['--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--ip-forward=false']),
    );
  });

  test('listens on a unix socket only, with its own pid file and config file', () => {
    const hosts = args.filter((a) => a.startsWith('--host') || a === '-H');
    expect(hosts).toEqual(['--host=unix:///var/run/docker.sock']);
    expect(args).toContain('--pidfile=/tmp/k2/dockerd.pid');
    expect(args).toContain('--config-file=/tmp/k2/daemon.json');
  });

  test('no setting is both a flag and in the config file dockerd reads (dockerd refuses to start then)', () => {
    const flagged = args.map((a) => /^--([\w-]+)=/.exec(a)?.[1]);
    for (const key of Object.keys(noBridgeSettings)) expect(flagged).toContain(key);
    for (const key of Object.keys(projectDaemonConfig())) expect(flagged).not.toContain(key);
  });
});

describe('/etc/docker/daemon.json', () => {
  test('a fresh file holds exactly the no-bridge settings', () => {
    expect(JSON.parse(systemDaemonJson(undefined))).toEqual({
      bridge: 'none',
      iptables: false,
      ip6tables: false,
      'ip-masq': false,
      'ip-forward': false,
    });
  });

  test("an existing file keeps its other settings and loses any bridge or iptables of its own", () => {
    const merged = JSON.parse(systemDaemonJson(JSON.stringify({ 'log-level': 'warn', bridge: 'docker0', iptables: true })));
    expect(merged).toMatchObject({ 'log-level': 'warn', bridge: 'none', iptables: false });
  });

  test('a broken file is not overwritten silently', () => {
    expect(() => systemDaemonJson('{ not json', '/etc/docker/daemon.json')).toThrow(/daemon\.json is not valid JSON/);
  });
});

describe('DOCKER_HOST', () => {
  test('unset means the default socket; unix:// names another; TCP is not ours to start', () => {
    expect(socketFromDockerHost(undefined)).toBe('/var/run/docker.sock');
    expect(socketFromDockerHost('unix:///run/user/0/docker.sock')).toBe('/run/user/0/docker.sock');
    expect(socketFromDockerHost('tcp://127.0.0.1:2375')).toBeUndefined();
  });
});

describe('the Debian mirror for debootstrap', () => {
  const deb822 = [
    'Types: deb',
    '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
    'URIs: http://deb.debian.org/debian/',
    'Suites: bookworm bookworm-updates',
    'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    '',
    'Types: deb',
    'URIs: http://deb.debian.org/debian-security',
    'Suites: bookworm-security',
    'Components: main',
  ].join('\n');

  test('deb822 (*.sources): the archive serving the suite, not the security one nor a comment', () => {
    expect(debianMirror(parseDeb822Sources(deb822), ['bookworm'])).toBe('http://deb.debian.org/debian');
  });

  test('one-line format with options; a third-party repository is never picked', () => {
    const list = [
      'deb [arch=amd64 signed-by=/usr/share/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main',
      '# deb http://old.example/debian bookworm main',
      'deb-src http://src.example/debian bookworm main',
      'deb http://mirror.example/debian bookworm main contrib',
    ].join('\n');
    expect(debianMirror(parseOneLineSources(list), ['bookworm'])).toBe('http://mirror.example/debian');
  });

  test("a host on another release: its own codename's mirror serves bookworm too", () => {
    const sources = parseDeb822Sources('Types: deb\nURIs: http://ftp.example/debian\nSuites: trixie\nComponents: main\n');
    expect(debianMirror(sources, ['bookworm', 'trixie'])).toBe('http://ftp.example/debian');
    expect(debianMirror(sources, ['bookworm'])).toBeUndefined();
  });

  test('a disabled stanza is skipped', () => {
    const sources = parseDeb822Sources('Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\n');
    expect(debianMirror(sources, ['bookworm'])).toBeUndefined();
  });
});

describe('base images', () => {
  test('names: a local Debian and the host node version, never a registry name', () => {
    expect(debianImage).toBe('local/debian:bookworm');
    expect(nodeImageFor('20.20.2')).toBe('local/node20:20.20.2');
  });

  test('the node image copies the host binary onto the Debian image and has the node user of the official images', () => {
    const dockerfile = nodeImageDockerfile(debianImage, true);
    expect(dockerfile.split('\n')[0]).toBe('FROM local/debian:bookworm');
    expect(dockerfile).toContain('COPY node /usr/local/bin/node');
    expect(dockerfile).toContain('COPY npm /usr/local/lib/node_modules/npm');
    expect(dockerfile).toMatch(/useradd --uid 1000 --gid node/);
    expect(dockerfile).toContain('NPM_CONFIG_UPDATE_NOTIFIER=false');
    expect(nodeImageDockerfile(debianImage, false)).not.toMatch(/COPY npm|npm-cli|npm --version/);
  });
});

describe('docker as a part', () => {
  test('is a part, but not one `infra up` starts by default', () => {
    expect(parsePartNames(['docker'])).toEqual(['docker']);
    expect(parsePartNames([])).not.toContain('docker');
  });
});
