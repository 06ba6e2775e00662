import { ReadinessProbes, WorkerReadiness } from '../../../workers/worker-readiness';

type WorkerState = ReturnType<ReadinessProbes['worker']>;

/** Probes whose answers the test sets; a probe can also be left hanging. */
function fakes() {
  const state = {
    worker: { runState: 'RUNNING', workflowPollerState: 'POLLING', activityPollerState: 'POLLING' } as WorkerState,
    temporal: undefined as Error | 'hang' | undefined,
    kafka: undefined as Error | 'hang' | undefined,
    streams: 0,
    calls: { temporal: 0, kafka: 0 },
  };
  const answer = (name: 'temporal' | 'kafka') => () => {
    state.calls[name]++;
    const a = state[name];
    if (a === 'hang') return new Promise<void>(() => {});
    return a ? Promise.reject(a) : Promise.resolve();
  };
  const probes: ReadinessProbes = {
    worker: () => state.worker,
    temporal: answer('temporal'),
    kafka: answer('kafka'),
    streams: () => state.streams,
  };
  return { state, probes };
}

describe('worker readiness', () => {
  test('not ready before the first round: nothing has been checked', () => {
    const { probes } = fakes();
    const r = new WorkerReadiness(probes).status();
    expect(r).toEqual({ ready: false, reason: 'temporal not checked yet; kafka not checked yet' });
  });

  test('ready when the worker polls and both services answer; streaming only changes the body', async () => {
    const { state, probes } = fakes();
    const readiness = new WorkerReadiness(probes);
    await readiness.check();
    expect(readiness.status()).toEqual({ ready: true, reason: 'ready (standby)' });
    state.streams = 1;
    expect(readiness.status()).toEqual({ ready: true, reason: 'ready (streaming 1 session)' });
    state.streams = 3;
    expect(readiness.status().reason).toBe('ready (streaming 3 sessions)');
  });

  test('503 names Kafka with its error, and recovers on the next round', async () => {
    const { state, probes } = fakes();
    const readiness = new WorkerReadiness(probes);
    state.kafka = new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    await readiness.check();
    expect(readiness.status()).toEqual({ ready: false, reason: 'kafka unreachable: Connection error: connect ECONNREFUSED 127.0.0.1:1' });
    state.kafka = undefined;
    await readiness.check();
    expect(readiness.status().ready).toBe(true);
  });

  test('names every missing part: worker state, Temporal, Kafka', async () => {
    const { state, probes } = fakes();
    const readiness = new WorkerReadiness(probes);
    state.temporal = new Error('14 UNAVAILABLE: connection refused');
    state.kafka = new Error('broker down');
    await readiness.check();
    state.worker = { ...state.worker, runState: 'STOPPING' };
    expect(readiness.status().reason).toBe(
      'temporal worker not running (state STOPPING); temporal unreachable: 14 UNAVAILABLE: connection refused; kafka unreachable: broker down',
    );
  });

  test('the worker state is read per request, not cached with the probes', async () => {
    const { state, probes } = fakes();
    const readiness = new WorkerReadiness(probes);
    await readiness.check();
    state.worker = { ...state.worker, activityPollerState: 'FAILED' };
    expect(readiness.status()).toEqual({ ready: false, reason: 'temporal worker not polling (activity poller FAILED)' });
    state.worker = { ...state.worker, runState: 'DRAINED' };
    expect(readiness.status().reason).toBe('temporal worker not running (state DRAINED)');
  });

  test('a probe that hangs counts as unreachable after the timeout, and status() never waits for it', async () => {
    const { state, probes } = fakes();
    const readiness = new WorkerReadiness(probes, { intervalMs: 10_000, timeoutMs: 50 });
    state.kafka = 'hang';
    const round = readiness.check();
    // The round is still out: the answer is the last one known, given at once.
    expect(readiness.status().reason).toBe('temporal not checked yet; kafka not checked yet');
    await round;
    expect(readiness.status()).toEqual({ ready: false, reason: 'kafka unreachable: no answer within 50 ms' });
  });

  test('start() checks at once and then every interval, until stop()', async () => {
    jest.useFakeTimers();
    try {
      const { state, probes } = fakes();
      const readiness = new WorkerReadiness(probes, { intervalMs: 10_000, timeoutMs: 1_000 });
      readiness.start();
      await jest.advanceTimersByTimeAsync(0);
      expect(state.calls).toEqual({ temporal: 1, kafka: 1 });
      expect(readiness.status().ready).toBe(true);
      state.kafka = new Error('gone');
      await jest.advanceTimersByTimeAsync(10_000);
      expect(state.calls.kafka).toBe(2);
      expect(readiness.status().reason).toBe('kafka unreachable: gone');
      readiness.stop();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(state.calls.kafka).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
