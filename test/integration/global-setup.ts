import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../../lib/paths';
import { describeStatus, infraUp } from '../../ops/infra/stack';
import { buildTestWorkflowBundle } from '../helpers/workflow-bundle-file';

export const startedFile = join(stateDir, 'test-started-parts.json');

/**
 * Brings up the real services the integration tests need, reusing any that already answer
 * (a running `npm start`, or a previous run kept with K2_KEEP_INFRA=1). Parts started here
 * are recorded so the teardown stops exactly those. Meanwhile it bundles the workflows once for
 * the tests' worker processes (test/helpers/workflow-bundle-file.ts).
 */
export default async function globalSetup(): Promise<void> {
  const bundle = buildTestWorkflowBundle();
  const statuses = await infraUp(['temporal', 'kafka']);
  await bundle;
  process.stderr.write(`\n${describeStatus(statuses)}\n`);
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(startedFile, JSON.stringify(statuses.filter((s) => s.state === 'started').map((s) => s.part)));
}
