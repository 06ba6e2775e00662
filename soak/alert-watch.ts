import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../lib/paths';
import { FiredAlert, firedAlerts } from '../lib/prometheus/prom-api';
import { stopRecorded } from '../ops/infra/process-control';
import { installPrometheus, startPrometheus, writeScrapeConfig } from '../ops/infra/prometheus';
import { freePort } from '../ops/infra/readiness';

const RECORD = 'soak-prometheus';

export interface AlertWatch {
  url: string;
  /** Every alert that was firing at some point between `fromMs` and `toMs`. */
  fired(fromMs: number, toMs: number): Promise<FiredAlert[]>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus of its own for the soak: it scrapes the soak's worker and evaluates the
 * project's alert rules as they are (`for:` in wall time), so "alerts that would have fired" is
 * what the production rules say, not a re-implementation of them.
 */
export async function startAlertWatch(o: { workerTarget: string; dir: string; intervalSeconds: number }): Promise<AlertWatch> {
  await installPrometheus();
  mkdirSync(o.dir, { recursive: true });
  const configFile = join(o.dir, 'prometheus.yml');
  writeScrapeConfig(configFile, {
    workerTarget: o.workerTarget,
    rulesFile: join(projectRoot, 'ops', 'prometheus', 'rules', 'critical_alerts.yml'),
    intervalSeconds: o.intervalSeconds,
  });
  const port = await freePort();
  await startPrometheus({ host: '127.0.0.1', port, configFile, dataDir: join(o.dir, 'data') }, RECORD);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    fired: (fromMs, toMs) => firedAlerts(url, fromMs, toMs, o.intervalSeconds),
    async stop() {
      await stopRecorded(RECORD);
      rmSync(join(o.dir, 'data'), { recursive: true, force: true });
    },
  };
}
