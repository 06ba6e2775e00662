import { kafkaDefaults, startKafka } from '../../ops/infra/kafka';
import { readRecord, stopRecorded } from '../../ops/infra/process-control';
import { simulatorOptions } from '../../simulator/simulator';
import { rotateSignal } from '../../workflows/stream-session-api';
import { FaultCase, FaultRow, printFaultTable, runFaultCase, sideBySide, signalActivityWorker } from '../helpers/fault-case';
import { sleep } from '../helpers/ws-client';

// The fault matrix, part one: connection, Kafka, REST and worker faults at short timeouts (the
// production-default and adversarial cases are in fault-matrix-hostile.test.ts).

const rows: FaultRow[] = [];
const baseLimits = simulatorOptions().limits;

async function restartKafka(): Promise<void> {
  if (!readRecord('kafka')) throw new Error('the Kafka restart case needs the project-managed broker (k2 infra up kafka)');
  await stopRecorded('kafka');
  await sleep(6_000);
  await startKafka(kafkaDefaults);
}

const cases: FaultCase[] = [
  { name: 'scheduled rotation', session: { maxLifetimeMs: 2_500 }, inject: async () => sleep(3_000) },
  { name: 'rotate signal', inject: async (env) => env.handle!.signal(rotateSignal, 'fault matrix') },
  { name: 'abrupt TCP reset', inject: async (env) => env.sim.inject({ type: 'reset' }) },
  { name: 'stall', inject: async (env) => env.sim.inject({ type: 'stall', ms: 5_000 }) },
  { name: 'no pong', inject: async (env) => env.sim.inject({ type: 'no-pong', ms: 5_000 }) },
  { name: 'serverShutdown', inject: async (env) => env.sim.inject({ type: 'server-shutdown', closeAfterMs: 1_000 }) },
  { name: '24 h cut (scaled to 2 s)', simulator: { limits: { ...baseLimits, maxLifetimeMs: 2_000 } }, inject: async () => sleep(2_500) },
  {
    name: 'worker SIGKILL, second worker running',
    childWorkers: 2,
    inject: async (env) => void (await signalActivityWorker(env, 'SIGKILL')),
  },
  {
    name: 'worker SIGKILL, then restart',
    childWorkers: 1,
    inject: async (env) => {
      await signalActivityWorker(env, 'SIGKILL');
      await sleep(1_000);
      env.spawnWorker();
    },
  },
  {
    name: 'REST 429 during backfill',
    inject: async (env) => {
      env.sim.inject({ type: 'rest', status: 429, count: 3, retryAfterSeconds: 1 });
      env.sim.inject({ type: 'refuse', ms: 1_500 });
      env.sim.inject({ type: 'reset' });
    },
  },
  {
    name: 'malformed frames among good ones',
    inject: async (env) => {
      for (const kind of ['json', 'missing-field', 'unknown-event', 'wrong-type'] as const) env.sim.inject({ type: 'malformed', kind, count: 2 });
    },
  },
  {
    name: 'gap older than REST retention',
    simulator: { retention: 300 },
    expectUnrecoverable: true,
    inject: async (env) => {
      env.sim.inject({ type: 'refuse', ms: 6_000 });
      env.sim.inject({ type: 'reset' });
    },
  },
];

/** It stops the broker every other case writes to: it runs alone, after them. */
const kafkaRestart: FaultCase = { name: 'Kafka broker restart', settings: { buffer_max_records: 300 }, inject: restartKafka };

const matrix = sideBySide(cases, { width: 4, caseTimeoutMs: 180_000 });

describe('fault matrix: nothing lost, nothing duplicated', () => {
  afterAll(() => printFaultTable('Fault matrix', rows, [...cases, kafkaRestart]));

  describe('side by side', () => {
    beforeAll(() => matrix.run(), matrix.hookTimeoutMs);
    for (const c of cases) {
      test(c.name, () => {
        rows.push(matrix.row(c.name));
      });
    }
  });

  describe('alone', () => {
    test(kafkaRestart.name, async () => {
      rows.push(await runFaultCase(kafkaRestart));
    }, 180_000);
  });
});
