import { Config, envName } from './config';
import { Secret } from './secret';

/** A config as the environment a worker process reads it from (every setting named, `extra` last). */
export function configEnv(config: Config, extra: NodeJS.ProcessEnv = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    if (v instanceof Secret) {
      // A secret read from a file travels as its `<name>_file` setting (emitted on its own), so
      // the value stays out of the child's environment; one given as a value is passed on as one.
      if (!v.file) env[envName(k)] = v.reveal();
      continue;
    }
    env[envName(k)] = Array.isArray(v) ? v.join(',') : String(v);
  }
  return { ...env, ...extra };
}
