import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, projectRoot, stateDir } from '../../lib/paths';
import { withProgress } from './progress';
import { isRecordAlive, logFileFor, ProcessRecord, startDetached } from './process-control';
import { httpOk, InfraError, waitUntil } from './readiness';
import { runCommand } from './run-command';

export interface PrometheusOptions {
  host: string;
  port: number;
  configFile: string;
  dataDir: string;
}

export const prometheusDefaults: PrometheusOptions = {
  host: '127.0.0.1',
  port: 19090,
  configFile: join(projectRoot, 'ops', 'prometheus', 'prometheus.yml'),
  dataDir: join(stateDir, 'prometheus', 'data'),
};

const debDir = join(cacheDir, 'prometheus');
export const prometheusBinary = join(debDir, 'root', 'usr', 'bin', 'prometheus');
export const promtoolBinary = join(debDir, 'root', 'usr', 'bin', 'promtool');

/**
 * Unpacks Debian's package instead of installing it: no daemon is started (its postinst would
 * run one on 0.0.0.0:9090), no root is needed, and both binaries need only libc.
 */
export async function installPrometheus(): Promise<void> {
  if (existsSync(prometheusBinary) && existsSync(promtoolBinary)) return;
  mkdirSync(debDir, { recursive: true });
  const logFile = logFileFor('prometheus-install');
  const work = (async () => {
    const download = () => runCommand('prometheus', 'apt-get', ['download', 'prometheus'], { logFile, cwd: debDir });
    try {
      await download();
    } catch {
      // A fresh machine may have empty package lists.
      await runCommand('prometheus', 'apt-get', ['update'], { logFile });
      await download();
    }
    const deb = readdirSync(debDir).find((f) => f.startsWith('prometheus_') && f.endsWith('.deb'));
    if (!deb) throw new InfraError('prometheus', 'apt-get download produced no .deb', logFile);
    await runCommand('prometheus', 'dpkg', ['-x', deb, 'root'], { logFile, cwd: debDir });
  })();
  await withProgress("fetching Debian's prometheus package", 15, work);
}

export function prometheusReady(o: PrometheusOptions): Promise<boolean> {
  return httpOk(`http://${o.host}:${o.port}/-/ready`);
}

export async function startPrometheus(o: PrometheusOptions, name = 'prometheus'): Promise<ProcessRecord> {
  mkdirSync(o.dataDir, { recursive: true });
  const record = startDetached(name, prometheusBinary, [
    `--config.file=${o.configFile}`,
    `--web.listen-address=${o.host}:${o.port}`,
    `--storage.tsdb.path=${o.dataDir}`,
    '--web.enable-lifecycle',
    '--log.level=warn',
  ]);
  await waitUntil(name, () => prometheusReady(o), { timeoutMs: 30_000, alive: () => isRecordAlive(record), logFile: record.logFile });
  return record;
}

/**
 * The same rules with every `for:` shortened, for an end-to-end test that cannot wait minutes:
 * derived from the real rule file at test time, never a hand-kept copy.
 */
export function rulesWithShortFor(rulesYaml: string, duration: string): string {
  return rulesYaml.replace(/^(\s+for:\s*)\S+\s*$/gm, `$1${duration}`);
}

/** A Prometheus config that scrapes one worker (job k2-stream-worker, as the rules expect) and evaluates `rulesFile`. */
export function writeScrapeConfig(file: string, o: { workerTarget: string; rulesFile: string; intervalSeconds: number }): void {
  writeFileSync(
    file,
    [
      `global: { scrape_interval: ${o.intervalSeconds}s, evaluation_interval: ${o.intervalSeconds}s }`,
      `rule_files: ['${o.rulesFile}']`,
      'scrape_configs:',
      '  - job_name: k2-stream-worker',
      `    static_configs: [{ targets: ['${o.workerTarget}'] }]`,
      '',
    ].join('\n'),
  );
}
