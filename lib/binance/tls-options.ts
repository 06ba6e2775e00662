import { rootCertificates } from 'node:tls';

export interface TlsSettings {
  verify: boolean;
  /** PEM from custom_ca_bundle. */
  ca?: string;
}

/**
 * TLS options for the stream and REST clients alike. Node's `ca` replaces its store, so a
 * custom bundle is added to the store, never swapped in.
 */
export function tlsOptions(t: TlsSettings): { rejectUnauthorized: boolean; ca?: string[] } {
  return { rejectUnauthorized: t.verify, ...(t.ca ? { ca: [...rootCertificates, t.ca] } : {}) };
}
