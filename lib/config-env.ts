import { Config, envName } from './config';

/** A config as the environment a worker process reads it from (every setting named, `extra` last). */
export function configEnv(config: Config, extra: NodeJS.ProcessEnv = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [k, v] of Object.entries(config)) if (v !== undefined) env[envName(k)] = Array.isArray(v) ? v.join(',') : String(v);
  return { ...env, ...extra };
}
