import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { bundleWorkflowCode, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ConfigError } from '../lib/config';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

function bundleHere(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
}

// Webpack stays loaded after it ran and kept ~40 MB of a worker's RSS for good (measured by
// bench/worker-memory.ts), so a built worker bundles in a short-lived process of its own, which
// gets this process's node flags (heap bounds).
function bundleInChild(): Promise<WorkflowBundleWithSourceMap> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, __filename], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code !== 0) reject(new Error(`bundling the workflows failed (exit ${signal ?? code})`));
      else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorkflowBundleWithSourceMap);
    });
  });
}

async function readPrebuilt(path: string): Promise<WorkflowBundleWithSourceMap> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as WorkflowBundleWithSourceMap;
  } catch (err) {
    throw new ConfigError([{ setting: 'workflow_bundle_path', message: `cannot read a workflow bundle from ${path}: ${(err as Error).message}` }]);
  }
}

/**
 * The workflows' bundle, once per process; every worker in it (tests start several) shares it.
 * A prebuilt one (workflow_bundle_path) is read; a built worker bundles in a child process; from
 * sources (jest) it bundles in this process, as there is no built file to run.
 */
export function workflowBundle(prebuiltPath?: string): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= prebuiltPath ? readPrebuilt(prebuiltPath) : __filename.endsWith('.js') ? bundleInChild() : bundleHere();
  return bundle;
}

// `node dist/workers/workflow-bundle.js > bundle.json` builds what workflow_bundle_path reads.
if (require.main === module) {
  bundleHere().then(
    (b) => process.stdout.write(JSON.stringify(b)),
    (err: Error) => {
      console.error(`workflow bundle: ${err.message}`);
      process.exit(1);
    },
  );
}
