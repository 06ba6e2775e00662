import { Config, envName, loadConfig } from './config';

const asEnv = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));

/** A config as the environment a worker process reads it from (every setting named, `extra` last). */
export function configEnv(config: Config, extra: NodeJS.ProcessEnv = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [k, v] of Object.entries(config)) if (v !== undefined) env[envName(k)] = asEnv(v);
  return { ...env, ...extra };
}

/**
 * Only the settings that differ from their defaults, as environment: what a worker in another
 * file system (a container) is told, so defaults that name this host's paths stay the image's own.
 */
export function changedSettingsEnv(config: Config): Record<string, string> {
  const defaults = loadConfig({}) as Record<string, unknown>;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v !== undefined && JSON.stringify(v) !== JSON.stringify(defaults[k])) env[envName(k)] = asEnv(v);
  }
  return env;
}
