import { grpc } from '@temporalio/proto';
import { NativeConnection, Worker, WorkerStatus } from '@temporalio/worker';
import { createKafka, explainKafkaError, KafkaSettings } from '../lib/kafka/client';
import { createLogger } from '../lib/logger';
import { activeStreams } from '../lib/pipeline/live-pipelines';
import type { Readiness } from './metrics-server';

const log = createLogger('readiness');

const { ServingStatus } = grpc.health.v1.HealthCheckResponse;
// Workers poll this service; the frontend reports it NOT_SERVING while it shuts down.
const WORKFLOW_SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';

/** What readiness looks at. In-memory reads are taken per request; the two probes do I/O. */
export interface ReadinessProbes {
  worker(): Pick<WorkerStatus, 'runState' | 'workflowPollerState' | 'activityPollerState'>;
  /** Resolves when the Temporal frontend serves, rejects with why not. */
  temporal(): Promise<void>;
  /** Resolves when a Kafka broker answers a metadata request, rejects with why not. */
  kafka(): Promise<void>;
  /** Stream sessions running on this worker: said in the body, never a reason to be unready. */
  streams(): number;
}

export interface ReadinessTiming {
  /** From the end of one round to the start of the next. */
  intervalMs: number;
  /** Per probe: past it the service counts as unreachable, so a hung broker cannot stall the rounds. */
  timeoutMs: number;
}

const defaultTiming: ReadinessTiming = { intervalMs: 10_000, timeoutMs: 5_000 };

type ProbeName = 'temporal' | 'kafka';

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Whether this worker can take work: its Temporal worker runs and polls, and Temporal and Kafka
 * answer. Whether it streams now is not part of it, so every standby replica of a rolling deploy
 * is ready too. The probes run on a timer and their last results are kept, so /readyz answers
 * from memory and never waits on a broker that hangs.
 */
export class WorkerReadiness {
  // undefined: not checked yet; null: answered; string: why not.
  private readonly results: Record<ProbeName, string | null | undefined> = { temporal: undefined, kafka: undefined };
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastLogged = '';

  constructor(
    private readonly probes: ReadinessProbes,
    private readonly timing: ReadinessTiming = defaultTiming,
  ) {}

  /** Checks at once, then every intervalMs until stop(). */
  start(): void {
    this.stopped = false;
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One round of both probes; resolves when their results are in (tests call it directly). */
  async check(): Promise<void> {
    await Promise.all((['temporal', 'kafka'] as const).map((name) => this.probe(name)));
    const { ready, reason } = this.status();
    // Problems show up in the logs once, when they start, change and end, not every round; a
    // session starting or ending changes the body but not readiness, so it is not logged.
    const key = ready ? 'ready' : reason;
    if (key !== this.lastLogged) log[ready ? 'info' : 'warn']({ event: 'readiness.changed', ready, reason });
    this.lastLogged = key;
  }

  status(): Readiness {
    const missing: string[] = [];
    const w = this.probes.worker();
    if (w.runState !== 'RUNNING') missing.push(`temporal worker not running (state ${w.runState})`);
    else {
      for (const k of ['workflow', 'activity'] as const) {
        const poller = w[`${k}PollerState`];
        if (poller !== 'POLLING') missing.push(`temporal worker not polling (${k} poller ${poller})`);
      }
    }
    for (const name of ['temporal', 'kafka'] as const) {
      const r = this.results[name];
      if (r === undefined) missing.push(`${name} not checked yet`);
      else if (r !== null) missing.push(`${name} unreachable: ${r}`);
    }
    if (missing.length > 0) return { ready: false, reason: missing.join('; ') };
    const n = this.probes.streams();
    return { ready: true, reason: n === 0 ? 'ready (standby)' : `ready (streaming ${n} session${n === 1 ? '' : 's'})` };
  }

  private async probe(name: ProbeName): Promise<void> {
    try {
      await withTimeout(this.probes[name](), this.timing.timeoutMs);
      this.results[name] = null;
    } catch (err) {
      this.results[name] = (err as Error).message;
    }
  }

  private async loop(): Promise<void> {
    await this.check();
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.loop(), this.timing.intervalMs);
    // The timer alone must not keep a process alive that is otherwise done.
    this.timer.unref();
  }
}

/** The probes of a real worker: its own Temporal connection, and a Kafka admin client that does not retry. */
export function workerProbes(
  sw: { worker: Worker; connection: NativeConnection },
  config: KafkaSettings,
  timing: ReadinessTiming = defaultTiming,
): ReadinessProbes {
  const { worker, connection } = sw;
  // No retries: a probe answers about now, and the next round is the retry.
  const kafka = createKafka(config, { clientId: `${config.kafka_client_id}-readiness`, retries: 0, quiet: true });
  return {
    worker: () => worker.getStatus(),
    async temporal() {
      // The deadline lets the native client drop the request, not only our wait for it.
      const { status } = await connection.withDeadline(Date.now() + timing.timeoutMs, () =>
        connection.healthService.check({ service: WORKFLOW_SERVICE }),
      );
      if (status !== ServingStatus.SERVING) throw new Error(`health check says ${ServingStatus[status ?? ServingStatus.UNKNOWN]}`);
    },
    async kafka() {
      // A fresh connection each round, so a half-open one cannot pass for a live broker.
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.describeCluster();
      } catch (err) {
        // /readyz then says which setting a refused password or certificate points at.
        throw explainKafkaError(config, err);
      } finally {
        await admin.disconnect();
      }
    },
    streams: activeStreams,
  };
}

/** Readiness of a running stream worker, checking from now on; stop() it before closing the worker. */
export function startWorkerReadiness(
  sw: { worker: Worker; connection: NativeConnection },
  config: KafkaSettings,
  timing: ReadinessTiming = defaultTiming,
): WorkerReadiness {
  const readiness = new WorkerReadiness(workerProbes(sw, config, timing), timing);
  readiness.start();
  return readiness;
}
