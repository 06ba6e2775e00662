import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Each test run gets its own state folder, so pid files never touch the real ones.
process.env.K2_STATE_DIR = mkdtempSync(join(tmpdir(), 'k2-state-'));

import { isRecordAlive, readRecord, startDetached, stopRecorded } from '../../../ops/infra/process-control';
import { waitUntil } from '../../../ops/infra/readiness';

describe('process control', () => {
  test('starts a detached process, records it, and stops it through the record', async () => {
    const record = startDetached('sleeper', 'sleep', ['30']);
    expect(readRecord('sleeper')?.pid).toBe(record.pid);
    expect(isRecordAlive(record)).toBe(true);
    expect(await stopRecorded('sleeper', 2_000)).toBe('stopped');
    expect(isRecordAlive(record)).toBe(false);
    expect(readRecord('sleeper')).toBeUndefined();
  });

  test('a record whose pid now runs another program is not ours to stop', () => {
    const record = { name: 'x', pid: process.pid, command: 'definitely-not-node', args: [], logFile: '', startedAt: '' };
    expect(isRecordAlive(record)).toBe(false);
  });

  test('stopping something never started says so', async () => {
    expect(await stopRecorded('never-started')).toBe('not-running');
  });
});

describe('readiness', () => {
  test('a process that dies fails fast, naming the part, its log and the log\'s last lines', async () => {
    const logFile = join(process.env.K2_STATE_DIR!, 'broker.log');
    writeFileSync(logFile, ['starting', ...Array.from({ length: 20 }, (_, i) => `line ${i}`), 'Error: Unable to access jarfile x.jar'].join('\n'));
    const started = Date.now();
    const failure = waitUntil('broker', async () => false, { timeoutMs: 30_000, alive: () => false, logFile });
    await expect(failure).rejects.toThrow(`broker: process exited before it was ready (log: ${logFile}; it ends:\n`);
    await expect(failure).rejects.toThrow(/line 19\nError: Unable to access jarfile x\.jar\)$/);
    await expect(failure).rejects.not.toThrow('starting');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('a part that never answers times out with its name', async () => {
    await expect(waitUntil('registry', async () => false, { timeoutMs: 300, intervalMs: 50 })).rejects.toThrow(
      'registry: not ready after 0 s',
    );
  });

  test('resolves as soon as the probe answers', async () => {
    let calls = 0;
    await waitUntil('x', async () => ++calls >= 3, { timeoutMs: 5_000, intervalMs: 10 });
    expect(calls).toBe(3);
  });
});
