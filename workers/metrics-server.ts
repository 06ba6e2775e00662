import { createServer, Server } from 'node:http';
import { registry } from '../lib/metrics';

export interface Readiness {
  ready: boolean;
  reason: string;
}

/** Answers from memory: an orchestrator's probe must not wait on the services it asks about. */
export type ReadinessCheck = () => Readiness;

/**
 * The worker's HTTP face for Prometheus and orchestrators: /metrics (text format), /healthz
 * (the process answers) and /readyz (this worker can take work: its Temporal worker runs and
 * polls, Temporal and Kafka answer; 503 names what is missing). Streaming is not readiness, or
 * every standby replica of a rolling deploy would stay unready: the body says "ready (standby)"
 * or "ready (streaming 1 session)", and k2_streams_active counts the sessions.
 */
export function startMetricsServer(host: string, port: number, readiness: ReadinessCheck): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        const body = await registry.metrics();
        res.writeHead(200, { 'Content-Type': registry.contentType });
        res.end(body);
      } else if (path === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok\n');
      } else if (path === '/readyz') {
        const r = readiness();
        res.writeHead(r.ready ? 200 : 503, { 'Content-Type': 'text/plain' });
        res.end(`${r.reason}\n`);
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found: try /metrics, /healthz, /readyz\n');
      }
    })().catch((err: Error) => {
      res.writeHead(500);
      res.end(err.message);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
