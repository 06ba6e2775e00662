import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { temporalBinary } from '../../ops/infra/temporal';
import { statusQuery } from '../../workflows/stream-session-api';
import { eventually } from '../helpers/metrics';
import { StreamEnv, streamEnv } from '../helpers/stream-env';

const run = promisify(execFile);
const k2 = join(__dirname, '../../bin/k2.js');

let env: StreamEnv;
beforeAll(async () => {
  env = await streamEnv({ simulator: { symbols: [{ symbol: 'BTCUSDT', rate: 30 }, { symbol: 'ETHUSDT', rate: 30 }] } });
  await env.start();
  await eventually(async () => (await env.handle!.query(statusQuery)).state === 'streaming', 20_000, 'streaming');
});
afterAll(() => env.teardown());

const cliEnv = () => ({ ...process.env, TEMPORAL_ADDRESS: env.config.temporal_address, LOG_LEVEL: 'warn' });

test('`temporal workflow signal --name rotate` rotates the session by continue-as-new', async () => {
  const id = env.handle!.workflowId;
  const before = await env.handle!.query(statusQuery);
  await run(temporalBinary, ['workflow', 'signal', '--workflow-id', id, '--name', 'rotate', '--address', env.config.temporal_address]);
  await eventually(async () => (await env.handle!.query(statusQuery)).rotation > before.rotation, 20_000, 'the next run');
  const after = await env.handle!.query(statusQuery);
  expect(after.lastRotationReason).toBe('signal');
  const { stdout } = await run(temporalBinary, ['workflow', 'query', '--workflow-id', id, '--name', 'status', '--address', env.config.temporal_address, '-o', 'json']);
  expect(stdout).toContain('"rotation"');
  expect(stdout).toContain('BTCUSDT');
});

test('k2 stream status / pause / resume', async () => {
  const id = env.handle!.workflowId;
  const { rotation } = await env.handle!.query(statusQuery);
  const status = await run(process.execPath, [k2, 'stream', 'status', '--workflow-id', id], { env: cliEnv() });
  expect(status.stdout).toMatch(/state streaming/);
  expect(status.stdout).toMatch(/BTCUSDT/);
  await run(process.execPath, [k2, 'stream', 'pause', '--workflow-id', id], { env: cliEnv() });
  await eventually(async () => (await env.handle!.query(statusQuery)).state === 'paused', 20_000, 'paused');
  await run(process.execPath, [k2, 'stream', 'rotate', '--workflow-id', id, '--reason', 'ignored while paused'], { env: cliEnv() });
  await run(process.execPath, [k2, 'stream', 'resume', '--workflow-id', id], { env: cliEnv() });
  await eventually(async () => (await env.handle!.query(statusQuery)).state === 'streaming', 20_000, 'streaming again');
  // A rotate sent while paused is dropped, not fired on resume.
  await new Promise((r) => setTimeout(r, 3_000));
  expect((await env.handle!.query(statusQuery)).rotation).toBe(rotation);
});

test('a bad setting stops start-up and names the setting', async () => {
  const failed = await run(process.execPath, [k2, 'worker'], { env: { ...cliEnv(), PING_INTERVAL_SECONDS: '-1' } }).then(
    () => undefined,
    (err: { code: number; stderr: string }) => err,
  );
  expect(failed?.code).toBe(2);
  expect(failed?.stderr).toMatch(/ping_interval_seconds \(env PING_INTERVAL_SECONDS\)/);
});
