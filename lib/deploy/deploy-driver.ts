// How a deployment builds, starts and stops the workers of a build. The workflow does not care
// whether they are processes on this host (process), containers of an image (compose), or
// started by someone else (external): it waits for their pollers on the deployment version.

export type DriverName = 'process' | 'compose' | 'external';

export interface BuildResult {
  buildId: string;
  /** What was built: a directory, an image tag. */
  artifact: string;
  ms: number;
}

export interface StartedWorkers {
  buildId: string;
  /** Where the build's worker serves /metrics, when the driver knows it. */
  metricsUrl?: string;
  detail: string;
}

export interface DeployDriver {
  readonly name: DriverName;
  /** A runnable build `buildId` of `source` (a git ref; default: the current checkout). */
  build(buildId: string, source?: string): Promise<BuildResult>;
  /** Starts one worker of the build with these settings (environment variables) on top of the usual ones. */
  start(buildId: string, env: Record<string, string>): Promise<StartedWorkers>;
  /** Stops every worker of the build this host can stop. */
  stop(buildId: string): Promise<string>;
  /** Resident memory of the build's workers, when the driver can see them. */
  rssMb(buildId: string): Promise<number | undefined>;
}
