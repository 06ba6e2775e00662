import { kafkaDefaults, startKafka } from '../../ops/infra/kafka';
import { readRecord, stopRecorded } from '../../ops/infra/process-control';
import { startTemporal, temporalDefaults } from '../../ops/infra/temporal';
import { rotateSignal, stopSignal } from '../../workflows/stream-session-api';
import { FaultCase, FaultRow, printFaultTable, runFaultCase, sideBySide, signalActivityWorker } from '../helpers/fault-case';
import { eventually } from '../helpers/metrics';
import { StreamEnv } from '../helpers/stream-env';
import { sleep } from '../helpers/ws-client';

// The fault matrix, part two: what an adversarial operator or a sick machine does, and the
// worker's production defaults (heartbeat 20 s, health check 30 s), since short timeouts in
// tests hide races. Every row ends with the same proof: each id exactly once.

const rows: FaultRow[] = [];
const PRODUCTION_HEARTBEAT_S = 20;

function needsRecord(part: 'temporal' | 'kafka'): void {
  if (!readRecord(part)) throw new Error(`this case restarts ${part}: it needs the project-managed one (k2 infra up ${part})`);
}

/**
 * A worker frozen (GC pause, VM stall, SIGSTOP) past the heartbeat timeout loses its attempt;
 * the second worker takes over and streams; then the first wakes up. It must write nothing:
 * its writer is fenced and its heartbeat is refused. The frozen worker's open activity polls
 * still take tasks, so it can swallow a few retries (a heartbeat timeout each) until the
 * server gives up on those polls: the takeover may need several heartbeat timeouts.
 */
async function freezeThenWake(env: StreamEnv, heartbeatS: number): Promise<void> {
  const frozen = await signalActivityWorker(env, 'SIGSTOP');
  try {
    await eventually(
      async () => {
        const now = await env.activityWorkerPid();
        return now !== undefined && now !== frozen;
      },
      4 * heartbeatS * 1000 + 60_000,
      'the session on the second worker',
    );
    await sleep(3_000); // the second worker writes for a while
  } finally {
    process.kill(frozen, 'SIGCONT');
  }
  await sleep(5_000); // the first one wakes up with a full socket buffer and a stale attempt
}

async function temporalOutage(ms: number): Promise<void> {
  needsRecord('temporal');
  await stopRecorded('temporal');
  await sleep(ms);
  await startTemporal(temporalDefaults);
}

async function restartKafka(): Promise<void> {
  needsRecord('kafka');
  await stopRecorded('kafka');
  await sleep(6_000);
  await startKafka(kafkaDefaults);
}

const cases: FaultCase[] = [
  {
    name: 'worker frozen (SIGSTOP) past the heartbeat timeout, then woken',
    childWorkers: 2,
    inject: (env) => freezeThenWake(env, 5),
  },
  {
    name: 'worker frozen past the heartbeat timeout, then woken (production defaults)',
    productionDefaults: true,
    childWorkers: 2,
    inject: (env) => freezeThenWake(env, PRODUCTION_HEARTBEAT_S),
    recoveryTimeoutMs: 180_000,
  },
  {
    name: 'worker SIGKILL, then rotate before the heartbeat timeout (production defaults)',
    productionDefaults: true,
    childWorkers: 2,
    inject: async (env) => {
      await signalActivityWorker(env, 'SIGKILL');
      await env.handle!.signal(rotateSignal, 'sent after a kill');
    },
    recoveryTimeoutMs: 90_000,
  },
  {
    name: 'worker SIGKILL, then stop before the heartbeat timeout (production defaults)',
    productionDefaults: true,
    childWorkers: 2,
    endsSession: true,
    inject: async (env) => {
      await signalActivityWorker(env, 'SIGKILL');
      env.sim.pauseMarket();
      await sleep(300);
      await env.handle!.signal(stopSignal);
    },
  },
  {
    name: 'worker SIGKILL, second worker running (production defaults)',
    productionDefaults: true,
    childWorkers: 2,
    inject: async (env) => void (await signalActivityWorker(env, 'SIGKILL')),
    recoveryTimeoutMs: 90_000,
  },
  {
    name: 'stall past health_check_timeout (production defaults)',
    productionDefaults: true,
    inject: async (env) => env.sim.inject({ type: 'stall', ms: 35_000 }),
    recoveryTimeoutMs: 90_000,
  },
];

/** Outages of a service every other case uses: each runs alone, after them. */
const outages: FaultCase[] = [
  {
    name: 'Temporal server down longer than the heartbeat timeout (production defaults)',
    productionDefaults: true,
    inject: () => temporalOutage((PRODUCTION_HEARTBEAT_S + 5) * 1000),
    recoveryTimeoutMs: 120_000,
  },
  {
    name: 'Kafka broker restart (production defaults)',
    productionDefaults: true,
    inject: restartKafka,
  },
];

const matrix = sideBySide(cases, { width: 4, caseTimeoutMs: 300_000 });

describe('fault matrix, hostile and at production defaults: nothing lost, nothing duplicated', () => {
  afterAll(() => printFaultTable('Fault matrix (hostile, production defaults)', rows, [...cases, ...outages]));

  describe('side by side', () => {
    beforeAll(() => matrix.run(), matrix.hookTimeoutMs);
    for (const c of cases) {
      test(c.name, () => {
        rows.push(matrix.row(c.name));
      });
    }
  });

  describe('alone', () => {
    for (const c of outages) {
      test(c.name, async () => {
        rows.push(await runFaultCase(c));
      }, 300_000);
    }
  });
});
