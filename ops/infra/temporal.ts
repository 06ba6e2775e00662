import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { stateDir, toolsBinDir } from '../../lib/paths';
import { withProgress } from './progress';
import { searchAttributeFlags } from '../../lib/search-attributes';
import { isRecordAlive, logFileFor, ProcessRecord, startDetached } from './process-control';
import { tcpOpen, waitUntil } from './readiness';
import { runCommand } from './run-command';

export const TEMPORAL_CLI_VERSION = '1.5.1';

export interface TemporalOptions {
  host: string;
  port: number;
  uiPort: number;
  dbFile: string;
}

export const temporalDefaults: TemporalOptions = {
  host: '127.0.0.1',
  port: 7233,
  uiPort: 8233,
  dbFile: join(stateDir, 'temporal', 'temporal.db'),
};

export const temporalBinary = join(toolsBinDir, 'temporal');

/** Arguments of `temporal server start-dev`: SQLite file, loopback only, our search attributes, room for deployments. */
export function startDevArgs(o: TemporalOptions): string[] {
  return [
    'server',
    'start-dev',
    '--ip', o.host,
    '--port', String(o.port),
    '--ui-ip', o.host,
    '--ui-port', String(o.uiPort),
    '--db-filename', o.dbFile,
    '--log-format', 'json',
    '--log-level', 'warn',
    ...searchAttributeFlags.flatMap((sa) => ['--search-attribute', sa]),
    // Every test, bench and demo registers a Worker Deployment of its own and the dev server keeps
    // them in its file; at the default cap of 100 per namespace new ones are refused and their
    // workers get no task ("reached maximum deployments in namespace").
    '--dynamic-config-value', 'matching.maxDeployments=100000',
  ];
}

function installedVersion(): string | undefined {
  if (!existsSync(temporalBinary)) return undefined;
  try {
    return execFileSync(temporalBinary, ['--version'], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
}

/** Builds the CLI with `go install` once; the Go module and build caches make a rebuild quick. */
export async function installTemporal(): Promise<void> {
  if (installedVersion()?.includes(`version ${TEMPORAL_CLI_VERSION}`)) return;
  mkdirSync(toolsBinDir, { recursive: true });
  const build = runCommand(
    'temporal',
    'go',
    [
      'install',
      '-ldflags',
      `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
      `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
    ],
    { logFile: logFileFor('temporal-build'), env: { ...process.env, CGO_ENABLED: '0', GOBIN: toolsBinDir } },
  );
  await withProgress(`building temporal CLI v${TEMPORAL_CLI_VERSION} with go install`, 200, build);
}

export async function temporalReady(o: TemporalOptions): Promise<boolean> {
  if (!(await tcpOpen(o.host, o.port))) return false;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: `${o.host}:${o.port}`, connectTimeout: 2_000 });
    const res = await connection.healthService.check({});
    return res.status === 1; // SERVING
  } catch {
    return false;
  } finally {
    await connection?.close();
  }
}

export async function startTemporal(o: TemporalOptions): Promise<ProcessRecord> {
  mkdirSync(join(o.dbFile, '..'), { recursive: true });
  const record = startDetached('temporal', temporalBinary, startDevArgs(o));
  await waitUntil('temporal', () => temporalReady(o), {
    timeoutMs: 60_000,
    alive: () => isRecordAlive(record),
    logFile: record.logFile,
  });
  return record;
}
