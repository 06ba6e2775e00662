#!/usr/bin/env node
// Entry of the npm scripts: makes a fresh clone runnable (npm ci when the lock file changed,
// then a TypeScript build) and hands over to the k2 command or to jest. Plain JavaScript on
// purpose: it runs before any dependency is installed.
const { spawnSync } = require('node:child_process');
const { existsSync, lstatSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const [command, ...rest] = process.argv.slice(2);

function run(cmd, args, extraEnv = {}) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  if (res.error) throw res.error;
  return res.status ?? (res.signal ? 128 : 1);
}

function mustRun(cmd, args) {
  const code = run(cmd, args);
  if (code !== 0) process.exit(code);
}

function ensureDependencies() {
  const modules = join(root, 'node_modules');
  // A git worktree sharing another checkout's node_modules through a link: npm ci would replace
  // the link with an install of its own, so that checkout stays in charge of it.
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) return;
  const marker = join(modules, '.package-lock.json');
  // A dependency patch (patches/, applied by patch-package on install) counts as a lock change.
  const patches = join(root, 'patches');
  const inputs = [join(root, 'package-lock.json'), ...(existsSync(patches) ? readdirSync(patches).map((f) => join(patches, f)) : [])];
  if (existsSync(marker) && inputs.every((f) => statSync(marker).mtimeMs >= statSync(f).mtimeMs)) return;
  console.error('[k2] installing dependencies (npm ci)');
  mustRun('npm', ['ci', '--no-audit', '--no-fund']);
}

function build() {
  mustRun(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
}

const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const k2 = (args) => process.exit(run(process.execPath, [join(root, 'bin', 'k2.js'), ...args]));

ensureDependencies();
build();
switch (command) {
  case 'start':
    k2(['start', ...rest]);
    break;
  case 'demo':
    k2(['demo', ...rest]);
    break;
  case 'simulator':
    k2(['simulator', ...rest]);
    break;
  case 'soak':
    k2(['soak', ...rest]);
    break;
  case 'k2':
    k2(rest);
    break;
  case 'bench': {
    // `bench <name> [args]`: a benchmark from the fresh build.
    const [name, ...args] = rest;
    const entry = join(root, 'dist', 'bench', `${name}.js`);
    if (!name || !existsSync(entry)) {
      console.error(`[k2] no benchmark ${name ?? ''} (dist/bench/<name>.js)`);
      process.exit(2);
    }
    process.exit(run(process.execPath, [entry, ...args]));
    break;
  }
  case 'test': {
    // Type-check the tests too (the build covers only shipped code), then unit before
    // integration so a broken module fails in seconds, not after the services start.
    mustRun(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
    mustRun(process.execPath, [jest, '--selectProjects', 'unit', ...rest]);
    process.exit(run(process.execPath, [jest, '--selectProjects', 'integration', ...rest]));
    break;
  }
  case 'test:integration':
    // Integration tests run workers from dist/ (child processes a test can SIGKILL).
    process.exit(run(process.execPath, [jest, '--selectProjects', 'integration', ...rest]));
    break;
  default:
    console.error(`usage: node ops/bootstrap.js start|demo|simulator|soak|k2|bench <name>|test|test:integration [args]`);
    process.exit(2);
}
