import { envName } from './config';
import { redactSecrets, Secret } from './secret';

export type Part = 'kafka' | 'temporal' | 'schema registry';

/**
 * A connection the server or its certificate refused: retrying cannot help, a setting must change.
 * The message names the part, what went wrong and the settings to look at; never a secret.
 */
export class ConnectionSetupError extends Error {
  constructor(
    readonly part: Part,
    readonly problem: Problem,
    readonly settings: string[],
    detail: string,
  ) {
    super(`${part}: ${describe[problem]} (${detail}); check ${settings.map((s) => `${s} (env ${envName(s)})`).join(', ')}`);
    this.name = 'ConnectionSetupError';
  }
}

export type Problem = 'untrusted_certificate' | 'hostname_mismatch' | 'expired_certificate' | 'client_certificate_refused' | 'not_tls' | 'authentication_failed' | 'mechanism_unsupported';

const describe: Record<Problem, string> = {
  untrusted_certificate: "the server's TLS certificate is not trusted",
  hostname_mismatch: "the server's TLS certificate is not valid for the name connected to",
  expired_certificate: "the server's TLS certificate has expired or is not valid yet",
  client_certificate_refused: 'the server refused the TLS client certificate (or requires one)',
  not_tls: 'the server does not speak TLS on this port',
  authentication_failed: 'authentication failed',
  mechanism_unsupported: 'the server does not offer this SASL mechanism',
};

// What Node (OpenSSL), rustls (Temporal's core) and grpc-js say for each problem, by error code
// or message. Node codes come first; the message patterns catch the wrapped and native errors.
const patterns: [Problem, RegExp][] = [
  ['hostname_mismatch', /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames|NotValidForName|not valid for name|certificate is not valid for/i],
  ['expired_certificate', /CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|certificate has expired|certificate is not yet valid|\bExpired\b|NotValidYet/],
  [
    'untrusted_certificate',
    /SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_UNTRUSTED|self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate|UnknownIssuer|invalid peer certificate/i,
  ],
  ['client_certificate_refused', /CERTIFICATE_REQUIRED|ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|certificate required|bad certificate|unknown ca|CertificateRequired|BadCertificate|UnknownCA|peer did not return a certificate/i],
  ['not_tls', /WRONG_VERSION_NUMBER|wrong version number|packet length too long|InvalidContentType|http2 connection preface|received corrupt message/i],
  ['mechanism_unsupported', /does not support the requested SASL mechanism|mechanism is not supported/i],
  ['authentication_failed', /SASL.*authentication failed|Authentication failed|UNAUTHENTICATED|PERMISSION_DENIED|\b401\b|\b403\b|Unauthorized|Forbidden|invalid API key|Request not authorized/i],
];

/** Every message and code along an error's chain (cause, kafkajs' originalError, grpc details). */
function errorText(err: unknown): string {
  const pieces: string[] = [];
  // Wrappers repeat their cause's words (kafkajs, grpc-js): each piece of text once.
  const add = (v: unknown) => {
    const t = String(v ?? '').trim();
    if (t && !pieces.some((p) => p.includes(t))) pieces.push(t);
  };
  const walk = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || depth > 5) return add(e);
    const x = e as { message?: unknown; code?: unknown; details?: unknown; status?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    for (const v of [x.message, x.code, x.details, x.status]) if (v !== undefined) add(v);
    for (const nested of [x.cause, x.originalError, ...(Array.isArray(x.errors) ? x.errors : [])]) if (nested) walk(nested, depth + 1);
  };
  walk(err, 0);
  return pieces.join(' | ');
}

export function classifyConnectionError(err: unknown): Problem | undefined {
  const text = errorText(err);
  return patterns.find(([, re]) => re.test(text))?.[0];
}

/** The settings an operator changes for each problem, per part. */
export type SettingsByProblem = Partial<Record<Problem, string[]>>;

export const kafkaSettingsFor: SettingsByProblem = {
  untrusted_certificate: ['kafka_ssl_ca'],
  expired_certificate: ['kafka_ssl_ca'],
  hostname_mismatch: ['kafka_brokers'],
  client_certificate_refused: ['kafka_ssl_cert', 'kafka_ssl_key'],
  not_tls: ['kafka_ssl'],
  authentication_failed: ['kafka_sasl_username', 'kafka_sasl_password'],
  mechanism_unsupported: ['kafka_sasl_mechanism'],
};

export const temporalSettingsFor: SettingsByProblem = {
  untrusted_certificate: ['temporal_tls_ca'],
  expired_certificate: ['temporal_tls_ca'],
  hostname_mismatch: ['temporal_address', 'temporal_tls_server_name'],
  client_certificate_refused: ['temporal_tls_cert', 'temporal_tls_key'],
  not_tls: ['temporal_tls'],
  authentication_failed: ['temporal_api_key', 'temporal_tls_cert'],
};

export const registrySettingsFor: SettingsByProblem = {
  untrusted_certificate: ['schema_registry_ca'],
  expired_certificate: ['schema_registry_ca'],
  hostname_mismatch: ['schema_registry_url'],
  client_certificate_refused: ['schema_registry_url'],
  not_tls: ['schema_registry_url'],
  authentication_failed: ['schema_registry_username', 'schema_registry_password'],
};

/** The first line of an error's own message, secrets scrubbed: the detail a clear message keeps. */
export function shortReason(err: unknown, secrets: (Secret | undefined)[] = []): string {
  const first = errorText(err).split('\n')[0].slice(0, 300);
  return redactSecrets(first, secrets);
}

/**
 * A ConnectionSetupError when the error is one a setting causes (a certificate, a password), or
 * undefined when it may pass (the server down, the network): those keep their retries.
 */
export function explainConnectionError(
  part: Part,
  err: unknown,
  settingsFor: SettingsByProblem,
  secrets: (Secret | undefined)[] = [],
): ConnectionSetupError | undefined {
  if (err instanceof ConnectionSetupError) return err;
  const problem = classifyConnectionError(err);
  const settings = problem && settingsFor[problem];
  return problem && settings ? new ConnectionSetupError(part, problem, settings, shortReason(err, secrets)) : undefined;
}
