import { existsSync, readFileSync, rmSync } from 'node:fs';
import { describeStatus, infraDown, PartName } from '../../ops/infra/stack';
import { startedFile } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  if (!existsSync(startedFile)) return;
  const started = JSON.parse(readFileSync(startedFile, 'utf8')) as PartName[];
  rmSync(startedFile, { force: true });
  if (process.env.K2_KEEP_INFRA === '1' || started.length === 0) return;
  process.stderr.write(`${describeStatus(await infraDown(started))}\n`);
}
