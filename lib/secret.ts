import { inspect } from 'node:util';

export const REDACTED = '[redacted]';

/**
 * A setting that must never be printed: a password, an API key. Every way an object reaches a log
 * line, a status, an error or a JSON file (String(), JSON.stringify, util.inspect, pino) sees only
 * `[redacted]`; the value leaves through reveal(), which only the client factories call.
 */
export class Secret {
  readonly #value: string;

  /** `file`: where it was read from (a `*_file` setting), so a child process is handed the file, not the value. */
  constructor(
    value: string,
    readonly file?: string,
  ) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** `text` with every occurrence of the secrets' values replaced: for messages that come from outside (a server's error text). */
export function redactSecrets(text: string, secrets: (Secret | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    const v = s?.reveal();
    // A one- or two-character "secret" would shred the message and hides nothing anyway.
    if (v && v.length >= 3) out = out.split(v).join(REDACTED);
  }
  return out;
}
