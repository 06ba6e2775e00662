import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { runCommand } from './run-command';

const aptEnv = (): NodeJS.ProcessEnv => ({ ...process.env, DEBIAN_FRONTEND: 'noninteractive' });

/** A fresh machine (or a slimmed image) may have no package lists at all. */
export function aptListsPresent(listsDir = '/var/lib/apt/lists'): boolean {
  try {
    return readdirSync(listsDir).some((f) => /_Packages(\.\w+)?$/.test(f));
  } catch {
    return false;
  }
}

/** Where a program would be found; the sbin folders count even when PATH lacks them. */
export function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  return dirs.filter(Boolean).map((d) => join(d, name)).find((p) => existsSync(p));
}

/**
 * `apt-get install` from the machine's configured mirror. Lists are fetched first when there are
 * none, and once more on failure: stale lists name .deb files the mirror no longer has.
 */
export async function aptInstall(part: string, packages: string[], logFile: string): Promise<void> {
  const env = aptEnv();
  const update = () => runCommand(part, 'apt-get', ['update'], { logFile, env });
  // Another apt run on a shared machine holds the dpkg lock for a while; wait instead of failing.
  const install = () =>
    runCommand(part, 'apt-get', ['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=300', ...packages], { logFile, env });
  let updated = false;
  if (!aptListsPresent()) {
    await update();
    updated = true;
  }
  try {
    await install();
  } catch (err) {
    if (updated) throw err;
    await update();
    await install();
  }
}
