import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { ConfigError } from './config';

/**
 * The PEM file a setting names, read now: a missing or non-PEM file stops start-up with the
 * setting's name rather than surfacing later as a TLS failure nobody can place.
 */
export function readPemSetting(setting: string, file: string | undefined): string | undefined {
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ setting, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  if (!text.includes('-----BEGIN ')) throw new ConfigError([{ setting, message: `${file} holds no PEM block (-----BEGIN …)` }]);
  return text;
}

/** Node's `ca` replaces its store: a private CA is added to the public roots, never swapped in. */
export function withRootCertificates(caPem: string | undefined): string[] | undefined {
  return caPem ? [...rootCertificates, caPem] : undefined;
}
