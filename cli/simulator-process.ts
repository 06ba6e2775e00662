import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../lib/paths';

export interface SimulatorProcess {
  process: ChildProcess;
  urls: { ws: string; rest: string; control: string };
  stop(): Promise<void>;
}

/**
 * The simulator in a process of its own (`k2 simulator --json …`), as a client meets an
 * exchange: its CPU is not the caller's. Resolves once it prints its URLs.
 */
export async function startSimulatorProcess(args: string[]): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'k2.js'), 'simulator', '--json', '--stats-interval', '3600', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
    exited.then(() => {
      throw new Error(`the simulator exited before it was ready (k2 simulator ${args.join(' ')})`);
    }),
  ]);
  return {
    process: child,
    urls: JSON.parse(line) as SimulatorProcess['urls'],
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
