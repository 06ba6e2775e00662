import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Config, loadConfig } from '../../lib/config';
import { createStreamWorker, StreamWorker } from '../../workers/create-worker';
import { startMetricsServer } from '../../workers/metrics-server';
import { startWorkerReadiness, WorkerReadiness } from '../../workers/worker-readiness';
import { eventually } from '../helpers/metrics';
import { uniqueName } from '../helpers/names';

/** One replica of a rolling deploy: a stream worker and its /readyz, on the real Temporal and Kafka. */
interface Replica {
  sw: StreamWorker;
  running: Promise<void>;
  readiness: WorkerReadiness;
  server: Server;
  url: string;
}

// Short rounds, so the test does not wait out the production 10 s interval after a probe fails.
const timing = { intervalMs: 500, timeoutMs: 3_000 };

async function startReplica(config: Config): Promise<Replica> {
  const sw = await createStreamWorker({ config });
  const running = sw.worker.run();
  const readiness = startWorkerReadiness(sw, config, timing);
  const server = await startMetricsServer('127.0.0.1', 0, () => readiness.status());
  return { sw, running, readiness, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function stopReplica(r: Replica | undefined): Promise<void> {
  if (!r) return;
  r.readiness.stop();
  r.server.close();
  r.sw.shutdown();
  await r.running;
  await r.sw.close();
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

/** Polls until `ok` holds, then returns that answer (Kafka may be restarting under another test). */
async function readyzUntil(r: Replica, ok: (a: { status: number; body: string }) => boolean, what: string) {
  let last = { status: 0, body: '' };
  try {
    await eventually(async () => ok((last = await get(`${r.url}/readyz`))), 30_000, what);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last answer: ${last.status} ${last.body.trim()}`);
  }
  return last;
}

describe('/readyz on replicas of a rolling deploy', () => {
  // Both replicas poll one task queue that no session runs on: both are standbys.
  const taskQueue = uniqueName('readiness');
  const deployment = uniqueName('k2-test');
  let standby: Replica | undefined;
  let noKafka: Replica | undefined;

  beforeAll(async () => {
    standby = await startReplica(loadConfig(process.env, { task_queue: taskQueue, deployment_name: deployment }));
    // Kafka is shared with other tests and is never stopped here: this replica's config points
    // at a port where nothing listens instead.
    noKafka = await startReplica(loadConfig(process.env, { task_queue: taskQueue, deployment_name: deployment, kafka_brokers: ['127.0.0.1:1'] }));
  }, 120_000);

  afterAll(async () => {
    await stopReplica(standby);
    await stopReplica(noKafka);
  });

  test('a worker with no session is ready and says it is a standby', async () => {
    const r = await readyzUntil(standby!, (a) => a.status === 200, '/readyz 200 on the standby');
    expect(r.body).toBe('ready (standby)\n');
    expect((await get(`${standby!.url}/metrics`)).body).toMatch(/^k2_streams_active 0$/m);
    expect(await get(`${standby!.url}/healthz`)).toEqual({ status: 200, body: 'ok\n' });
  });

  test('a worker that cannot reach Kafka is 503 and names Kafka', async () => {
    const r = await readyzUntil(noKafka!, (a) => a.status === 503 && a.body.startsWith('kafka'), '/readyz 503 naming kafka');
    // Its Temporal worker runs and polls: Kafka is the only thing missing.
    expect(r.body).toMatch(/^kafka unreachable: .*ECONNREFUSED 127\.0\.0\.1:1\n$/);
    expect(noKafka!.sw.worker.getState()).toBe('RUNNING');
    // Liveness is not readiness: the process still answers.
    expect((await get(`${noKafka!.url}/healthz`)).status).toBe(200);
  });

  test('a worker that shuts down stops being ready at once', async () => {
    await readyzUntil(standby!, (a) => a.status === 200, '/readyz 200 on the standby');
    standby!.sw.shutdown();
    const r = await get(`${standby!.url}/readyz`);
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/^temporal worker not running \(state (STOPPING|DRAINING|DRAINED|STOPPED)\)\n$/);
  });
});
