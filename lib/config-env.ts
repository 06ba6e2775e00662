import { Config, envName, loadConfig } from './config';
import { Secret } from './secret';

const asEnv = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));

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
    env[envName(k)] = asEnv(v);
  }
  return { ...env, ...extra };
}

/**
 * Only the settings that differ from their defaults, as environment: what a worker in another
 * file system (a container) is told, so defaults that name this host's paths stay the image's own.
 * A secret goes as its value (the container cannot read the host's `*_file`); the caller keeps
 * the result in a file only its user can read.
 */
export function changedSettingsEnv(config: Config): Record<string, string> {
  const defaults = loadConfig({}) as Record<string, unknown>;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined || k.endsWith('_file')) continue;
    if (v instanceof Secret) env[envName(k)] = v.reveal();
    else if (JSON.stringify(v) !== JSON.stringify(defaults[k])) env[envName(k)] = asEnv(v);
  }
  return env;
}
