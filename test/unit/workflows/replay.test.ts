import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { HistoryFixture } from '../../../ops/record-histories';
import { workflowBundle } from '../../../workers/workflow-bundle';

// The determinism guard. Every streamSession history in test/fixtures/histories, recorded from
// real sessions by `npm run record:histories` (ops/record-histories.ts), must replay on today's
// workflow code, in the same bundle the workers load. A session runs for hours between
// rotations, so a deploy always meets runs in flight: a change that fails this test would fail
// them. A change that fails this test needs `patched()` (and a new fixture): record with the
// patch in place, which adds dated files next to the old ones, and delete an old fixture only
// once no run of the code that recorded it can still be in flight.

const dir = join(__dirname, '../../fixtures/histories');
const fixtures: HistoryFixture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as HistoryFixture);

describe('recorded streamSession histories', () => {
  // The replay worker's state changes are noise here; a replay failure logs at WARN and above.
  beforeAll(() => Runtime.install({ logger: new DefaultLogger('WARN') }));

  it('replay on the current workflow code', async () => {
    expect(fixtures.length).toBeGreaterThan(0);
    const runs = fixtures.flatMap((f) => f.runs.map((run, i) => ({ fixture: f, run: i + 1, history: run.history })));
    const failures: string[] = [];
    let replayed = 0;
    // Results come one per history, in order.
    const results = Worker.runReplayHistories(
      { workflowBundle: await workflowBundle() },
      runs.map((r) => ({ workflowId: r.fixture.workflowId, history: temporal.api.history.v1.History.fromObject(r.history) })),
    );
    for await (const { error } of results) {
      const { fixture, run } = runs[replayed++];
      if (error) failures.push(`${fixture.scenario} (workflow ${fixture.workflowId}, run ${run} of ${fixture.runs.length}): ${error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(runs.length);
  });
});
