import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, projectRoot, stateDir } from '../paths';
import { isRecordAlive, logFileFor, recordsStartingWith, startDetached, stopRecorded } from '../../ops/infra/process-control';
import { freePort } from '../../ops/infra/readiness';
import { runCommand } from '../../ops/infra/run-command';
import { workerProcessTree } from '../process-tree';
import { BuildResult, DeployDriver, StartedWorkers } from './deploy-driver';
import { workerRecordName, workerRecordPrefix } from './worker-records';

const buildDir = (buildId: string) => join(cacheDir, 'builds', buildId.replace(/[^A-Za-z0-9._-]/g, '_'));

/**
 * Builds and runs workers as processes on this host. A build is a directory of compiled code:
 * the current checkout as built (`dist/`), or a git ref checked out as a worktree and compiled.
 * Green runs detached, so it outlives the worker process whose activity started it.
 */
export function processDriver(baseEnv: NodeJS.ProcessEnv = process.env): DeployDriver {
  return {
    name: 'process',

    async build(buildId, source): Promise<BuildResult> {
      const started = Date.now();
      const dir = buildDir(buildId);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const logFile = logFileFor(`build-${buildId}`);
      if (source === undefined) {
        if (!existsSync(join(projectRoot, 'dist', 'workers', 'stream-worker.js'))) throw new Error('no dist/: build the checkout first (npm run build)');
        cpSync(join(projectRoot, 'dist'), join(dir, 'dist'), { recursive: true });
      } else {
        const src = join(dir, 'src');
        await runCommand('deploy', 'git', ['-C', projectRoot, 'worktree', 'add', '--detach', '--force', src, source], { logFile });
        symlinkSync(join(projectRoot, 'node_modules'), join(src, 'node_modules'));
        await runCommand('deploy', process.execPath, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(src, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')], { logFile });
      }
      // The code finds its root by package.json and schemas/ (lib/paths.ts); node_modules resolve upwards.
      cpSync(join(source === undefined ? projectRoot : join(dir, 'src'), 'schemas'), join(dir, 'schemas'), { recursive: true });
      cpSync(join(projectRoot, 'package.json'), join(dir, 'package.json'));
      return { buildId, artifact: dir, ms: Date.now() - started };
    },

    async start(buildId, env): Promise<StartedWorkers> {
      const entry = join(buildDir(buildId), 'dist', 'workers', 'stream-worker.js');
      if (!existsSync(entry)) throw new Error(`build ${buildId} is not built (${entry} missing)`);
      const metricsPort = await freePort();
      const record = startDetached(workerRecordName(buildId, 'green'), process.execPath, [entry], {
        // The same state and cache as this checkout, so records, logs and tools are shared.
        env: { ...baseEnv, ...env, BUILD_ID: buildId, METRICS_PORT: String(metricsPort), TEMPORAL_METRICS_PORT: '0', K2_STATE_DIR: stateDir, K2_CACHE_DIR: cacheDir },
      });
      return { buildId, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, detail: `pid ${record.pid}, log ${record.logFile}` };
    },

    async stop(buildId) {
      const records = recordsStartingWith(workerRecordPrefix(buildId));
      const results = await Promise.all(records.map((r) => stopRecorded(r.name, 60_000)));
      const stopped = results.filter((r) => r === 'stopped').length;
      return stopped ? `stopped ${stopped} worker process(es) of ${buildId}` : `no running worker of ${buildId} on this host`;
    },

    async rssMb(buildId) {
      const alive = recordsStartingWith(workerRecordPrefix(buildId)).filter(isRecordAlive);
      if (alive.length === 0) return undefined;
      return alive.reduce((mb, r) => mb + (workerProcessTree(r.pid)?.rssBytes ?? 0) / 2 ** 20, 0);
    },
  };
}
