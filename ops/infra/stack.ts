import { createLogger } from '../../lib/logger';
import { isRecordAlive, readRecord, stopRecorded } from './process-control';
import { InfraError } from './readiness';
import { dockerDefaults, dockerReady, dockerStopGraceMs, installDocker, startDocker } from './docker';
import { assertJava, installKafka, kafkaDefaults, kafkaReady, startKafka } from './kafka';
import { installPrometheus, prometheusDefaults, prometheusReady, startPrometheus } from './prometheus';
import { installRegistry, registryDefaults, registryReady, registryUrl, startRegistry } from './schema-registry';
import { installTemporal, startTemporal, temporalDefaults, temporalReady } from './temporal';

const log = createLogger('infra');

export const PART_NAMES = ['temporal', 'kafka', 'prometheus', 'schema-registry', 'docker'] as const;
export type PartName = (typeof PART_NAMES)[number];

interface Part {
  name: PartName;
  endpoints: Record<string, string>;
  install(): Promise<void>;
  ready(): Promise<boolean>;
  start(): Promise<unknown>;
  /** How long `down` waits after SIGTERM before SIGKILL, when the default is too short. */
  stopGraceMs?: number;
}

const parts: Record<PartName, Part> = {
  temporal: {
    name: 'temporal',
    endpoints: {
      address: `${temporalDefaults.host}:${temporalDefaults.port}`,
      webUi: `http://${temporalDefaults.host}:${temporalDefaults.uiPort}`,
    },
    install: installTemporal,
    ready: () => temporalReady(temporalDefaults),
    start: () => startTemporal(temporalDefaults),
  },
  kafka: {
    name: 'kafka',
    endpoints: { brokers: `${kafkaDefaults.host}:${kafkaDefaults.port}` },
    install: async () => {
      assertJava();
      await installKafka();
    },
    ready: () => kafkaReady(kafkaDefaults),
    start: () => startKafka(kafkaDefaults),
  },
  prometheus: {
    name: 'prometheus',
    endpoints: { url: `http://${prometheusDefaults.host}:${prometheusDefaults.port}` },
    install: installPrometheus,
    ready: () => prometheusReady(prometheusDefaults),
    start: () => startPrometheus(prometheusDefaults),
  },
  'schema-registry': {
    name: 'schema-registry',
    endpoints: { url: registryUrl(registryDefaults) },
    install: installRegistry,
    ready: () => registryReady(registryDefaults),
    start: () => startRegistry(registryDefaults),
  },
  docker: {
    name: 'docker',
    endpoints: { socket: `unix://${dockerDefaults.socket}` },
    install: installDocker,
    ready: () => dockerReady(dockerDefaults),
    start: () => startDocker(dockerDefaults),
    stopGraceMs: dockerStopGraceMs,
  },
};

export interface PartStatus {
  part: PartName;
  state: 'started' | 'reused' | 'running' | 'stopped' | 'not-running' | 'answering (not started by k2)';
  endpoints: Record<string, string>;
  pid?: number;
  logFile?: string;
  startupMs?: number;
}

export function parsePartNames(names: string[]): PartName[] {
  if (names.length === 0) return ['temporal', 'kafka'];
  if (names.includes('all')) return [...PART_NAMES];
  for (const n of names) {
    if (!(PART_NAMES as readonly string[]).includes(n)) {
      throw new InfraError(n, `unknown part; choose from ${PART_NAMES.join(', ')}, all`);
    }
  }
  return names as PartName[];
}

/**
 * Brings parts up: a part that already answers is reused, whoever started it. Installs run
 * side by side (the first Temporal build is the long pole), then each part starts.
 */
export async function infraUp(names: PartName[]): Promise<PartStatus[]> {
  const selected = names.map((n) => parts[n]);
  const answering = await Promise.all(selected.map((p) => p.ready()));
  await Promise.all(selected.filter((_, i) => !answering[i]).map((p) => p.install()));
  return Promise.all(
    selected.map(async (p, i): Promise<PartStatus> => {
      if (answering[i]) {
        log.info({ event: 'infra.reused', part: p.name, ...p.endpoints });
        return { part: p.name, state: 'reused', endpoints: p.endpoints, pid: readRecord(p.name)?.pid };
      }
      const started = Date.now();
      await p.start();
      const record = readRecord(p.name);
      const startupMs = Date.now() - started;
      log.info({ event: 'infra.started', part: p.name, servicePid: record?.pid, startupMs, ...p.endpoints });
      return { part: p.name, state: 'started', endpoints: p.endpoints, pid: record?.pid, logFile: record?.logFile, startupMs };
    }),
  );
}

/** Stops only what the project started and recorded, never anything found by name or port. */
export async function infraDown(names: PartName[]): Promise<PartStatus[]> {
  return Promise.all(
    names.map(async (n): Promise<PartStatus> => {
      const result = await stopRecorded(n, parts[n].stopGraceMs);
      log.info({ event: 'infra.stopped', part: n, result });
      return { part: n, state: result, endpoints: parts[n].endpoints };
    }),
  );
}

export async function infraStatus(names: PartName[] = [...PART_NAMES]): Promise<PartStatus[]> {
  return Promise.all(
    names.map(async (n): Promise<PartStatus> => {
      const record = readRecord(n);
      const alive = record ? isRecordAlive(record) : false;
      const answering = await parts[n].ready();
      const state = alive ? 'running' : answering ? 'answering (not started by k2)' : 'not-running';
      return { part: n, state, endpoints: parts[n].endpoints, pid: alive ? record?.pid : undefined, logFile: record?.logFile };
    }),
  );
}

export function describeStatus(statuses: PartStatus[]): string {
  return statuses
    .map((s) => {
      const where = Object.entries(s.endpoints)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      const extra = [s.pid ? `pid=${s.pid}` : '', s.startupMs !== undefined ? `ready in ${(s.startupMs / 1000).toFixed(1)} s` : '']
        .filter(Boolean)
        .join(' ');
      return `${s.part.padEnd(16)} ${s.state.padEnd(12)} ${where} ${extra}`.trimEnd();
    })
    .join('\n');
}
