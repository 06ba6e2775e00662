import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { HistoryFixture } from '../../../ops/record-histories';
import { workflowBundle } from '../../../workers/workflow-bundle';

// The determinism guard. Every history in test/fixtures/histories — streamSession runs, and
// streamFleet runs with the sessions they started — recorded from real workflows by
// `npm run record:histories` (ops/record-histories.ts), must replay on today's workflow code, in
// the same bundle the workers load. A session runs for hours between rotations and a fleet for
// weeks, so a deploy always meets runs in flight: a change that fails this test would fail them. A change that fails this test needs `patched()` (and a new fixture): record with the
// patch in place, which adds dated files next to the old ones, and delete an old fixture only
// once no run of the code that recorded it can still be in flight.

const dir = join(__dirname, '../../fixtures/histories');
const fixtures: HistoryFixture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as HistoryFixture);

describe('recorded workflow histories', () => {
  // The replay worker's state changes are noise here; a replay failure logs at WARN and above.
  beforeAll(() => Runtime.install({ logger: new DefaultLogger('WARN') }));

  it('replay on the current workflow code', async () => {
    expect(fixtures.length).toBeGreaterThan(0);
    // A fixture's own workflow, then the ones it started (a fleet's sessions).
    const workflows = fixtures.flatMap((f) => [{ fixture: f, workflowId: f.workflowId, runs: f.runs }, ...(f.children ?? []).map((c) => ({ fixture: f, ...c }))]);
    const runs = workflows.flatMap((w) => w.runs.map((run, i) => ({ ...w, run: i + 1, of: w.runs.length, history: run.history })));
    const failures: string[] = [];
    let replayed = 0;
    // Results come one per history, in order.
    const results = Worker.runReplayHistories(
      { workflowBundle: await workflowBundle() },
      runs.map((r) => ({ workflowId: r.workflowId, history: temporal.api.history.v1.History.fromObject(r.history) })),
    );
    for await (const { error } of results) {
      const { fixture, workflowId, run, of } = runs[replayed++];
      if (error) failures.push(`${fixture.scenario} (workflow ${workflowId}, run ${run} of ${of}): ${error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(runs.length);
    // The long-lived workflows are each guarded by at least one recording.
    const types = new Set(runs.map((r) => (r.history.events[0].workflowExecutionStartedEventAttributes as { workflowType?: { name?: string } }).workflowType?.name));
    expect([...types]).toEqual(expect.arrayContaining(['streamSession', 'streamFleet']));
  });
});
