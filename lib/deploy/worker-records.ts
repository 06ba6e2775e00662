// Process records (ops/infra/process-control.ts) of stream workers, by build: workers record
// themselves, the process driver records the green it starts; stopping a build stops them all.

export const workerRecordPrefix = (buildId: string) => `worker-${buildId}-`;

export function workerRecordName(buildId: string, pid: number | 'green'): string {
  return `${workerRecordPrefix(buildId)}${pid}`;
}
