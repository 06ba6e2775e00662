import { createServer, Server } from 'node:http';
import { registry } from '../lib/metrics';

export type ReadinessCheck = () => { ready: boolean; reason: string };

/**
 * The worker's HTTP face for Prometheus and orchestrators: /metrics (text format), /healthz
 * (the process answers) and /readyz (connected and producing; 503 with the reason otherwise).
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
