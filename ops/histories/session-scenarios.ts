import { pauseSignal, resetCursorSignal, resumeSignal, rotateSignal, stopSignal } from '../../workflows/stream-session-api';
import { continuesAsNew, kinds, Scenario, signals, sleep } from './scenario';

// The streamSession scenarios: one session of SYMBOLS each, driven through what a session meets
// in production (rotations, operators' signals, killed workers).

export const sessionScenarios: Scenario[] = [
  {
    name: 'rotation',
    covers: 'two rotations at the end of a 3 s connection lifetime (continue-as-new with the cursor), then stop',
    session: { maxLifetimeMs: 3_000 },
    async drive(r) {
      await r.waitFor('the third run', async () => (await r.status()).rotation >= 2);
      await r.handle.signal(stopSignal);
    },
    check: (runs) => runs.length >= 3 && runs.slice(0, -1).every(continuesAsNew),
  },
  {
    name: 'pause-resume',
    covers: 'pause (the activity cancelled, the session waits), resume (a new activity in the same run), then stop',
    async drive(r) {
      await r.streaming();
      await r.handle.signal(pauseSignal);
      await r.waitFor('the session paused', async () => (await r.status()).state === 'paused');
      await sleep(1_000);
      const resumedAt = Date.now();
      await r.handle.signal(resumeSignal);
      await r.streaming(resumedAt);
      await r.handle.signal(stopSignal);
    },
    check: (runs) =>
      runs.length === 1 &&
      signals(runs[0]).join() === 'pause,resume,stop' &&
      kinds(runs[0]).filter((k) => k === 'activityTaskScheduled').length === 2,
  },
  {
    name: 'crash-retry',
    covers: "the activity's worker SIGKILLed, the attempt timed out on heartbeat (5 s), a second worker's retry streams, then stop",
    session: { heartbeatTimeoutMs: 5_000 },
    childWorkers: 2,
    async drive(r) {
      await r.streaming();
      const killed = await r.killActivityWorker();
      const killedAt = Date.now();
      await r.waitFor('the retry on the other worker', async () => {
        const a = await r.activity();
        return (a.attempt ?? 0) >= 2 && a.pid !== undefined && a.pid !== killed;
      });
      await r.streaming(killedAt);
      await r.handle.signal(stopSignal);
    },
    check: (runs) =>
      runs.length === 1 &&
      runs[0].history.events.some((e) => ((e.activityTaskStartedEventAttributes as { attempt?: number } | undefined)?.attempt ?? 0) >= 2),
  },
  {
    name: 'stop',
    covers: 'a plain session that streams and completes after stop',
    async drive(r) {
      await r.streaming();
      await sleep(2_000);
      await r.handle.signal(stopSignal);
    },
    check: (runs) => runs.length === 1 && signals(runs[0]).join() === 'stop',
  },
  {
    name: 'kill-then-rotate',
    covers: "the activity's worker SIGKILLed and rotate sent before the heartbeat timeout: the cancelled attempt times out, the run continues-as-new without a result, the next run streams on the other worker, then stop",
    // The workflow task that handles `rotate` may wait out the dead worker's sticky queue (10 s):
    // a 20 s heartbeat timeout (the worker's default) keeps the signal ahead of the timeout.
    session: { heartbeatTimeoutMs: 20_000 },
    childWorkers: 2,
    async drive(r) {
      await r.streaming();
      await r.killActivityWorker();
      const killedAt = Date.now();
      await r.handle.signal(rotateSignal, 'sent after a kill');
      await r.waitFor('the next run', async () => (await r.status()).rotation >= 1, 120_000);
      await r.streaming(killedAt);
      await r.handle.signal(stopSignal);
    },
    check: (runs) =>
      runs.length === 2 &&
      continuesAsNew(runs[0]) &&
      kinds(runs[0]).includes('activityTaskCancelRequested') &&
      kinds(runs[0]).includes('activityTaskTimedOut') &&
      !kinds(runs[0]).includes('activityTaskCompleted'),
  },
  {
    name: 'kill-then-stop',
    covers: "the activity's worker SIGKILLed and stop sent before the heartbeat timeout: the cancelled attempt times out, the session catches up from REST on the other worker (catchUpOnly) and completes",
    session: { heartbeatTimeoutMs: 20_000 },
    childWorkers: 2,
    async drive(r) {
      await r.streaming();
      await r.killActivityWorker();
      await r.handle.signal(stopSignal);
    },
    check: (runs) =>
      runs.length === 1 &&
      kinds(runs[0]).includes('activityTaskTimedOut') &&
      kinds(runs[0]).filter((k) => k === 'activityTaskScheduled').length === 2,
  },
  {
    name: 'reset-cursor',
    covers: 'resetCursor {symbol: BTCUSDT} while streaming: the run rotates with the reset in force, the next run streams, then stop',
    async drive(r) {
      await r.streaming();
      const resetAt = Date.now();
      await r.handle.signal(resetCursorSignal, { symbol: 'BTCUSDT' });
      await r.waitFor('the run after the reset', async () => (await r.status()).rotation >= 1);
      await r.streaming(resetAt);
      await r.handle.signal(stopSignal);
    },
    check: (runs) => runs.length === 2 && continuesAsNew(runs[0]) && signals(runs[0]).includes('resetCursor'),
  },
];
