import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot, stateDir } from '../../lib/paths';

/**
 * The workflows' bundle of the built code (dist/), made once per test run by the global setup, as
 * the Dockerfile makes it for the image. The tests' worker processes read it (workflow_bundle_path)
 * instead of each running webpack for two seconds of CPU as it starts: a fault matrix starts a dozen
 * of them at once. Worker processes the tests do not start themselves (`k2 worker`, `k2 demo`, the
 * soak's, a deployment's green) still bundle their own, as a worker without the setting does.
 */
export const testWorkflowBundle = join(stateDir, 'test', 'workflow-bundle.json');

const bundler = join(projectRoot, 'dist', 'workers', 'workflow-bundle.js');

/** Builds it from dist/ (what the worker processes run); without a build there is nothing to bundle. */
export async function buildTestWorkflowBundle(): Promise<string | undefined> {
  rmSync(testWorkflowBundle, { force: true });
  if (!existsSync(bundler)) return undefined;
  const { stdout } = await promisify(execFile)(process.execPath, [bundler], { maxBuffer: 256 * 1024 * 1024 });
  mkdirSync(dirname(testWorkflowBundle), { recursive: true });
  writeFileSync(testWorkflowBundle, stdout);
  return testWorkflowBundle;
}
