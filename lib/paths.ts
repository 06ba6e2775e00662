import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

// The same code runs from sources (ts) and from dist/, so the root is found, not assumed.
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`k2-stream: cannot find the project root above ${start}`);
    dir = parent;
  }
}

export const projectRoot = findRoot(resolve(__dirname));

/** Downloaded and built tools; kept between runs, git-ignored. */
export const cacheDir = process.env.K2_CACHE_DIR ?? join(projectRoot, '.cache');

/** Data, logs and pid files of the local services; git-ignored. */
export const stateDir = process.env.K2_STATE_DIR ?? join(projectRoot, '.run');

export const logsDir = join(stateDir, 'logs');
export const pidsDir = join(stateDir, 'pids');
export const toolsBinDir = join(cacheDir, 'bin');
