// Faults the simulator can inject, through its API or its control endpoint. Timed faults end
// by themselves; `clear` ends all.

export type MalformedKind = 'json' | 'missing-field' | 'unknown-event' | 'oversized' | 'wrong-type';

export type Fault =
  | { type: 'reset' }
  | { type: 'close'; code?: number; reason?: string }
  | { type: 'stall'; ms?: number }
  | { type: 'no-pong'; ms?: number }
  | { type: 'no-ping'; ms?: number }
  | { type: 'malformed'; kind: MalformedKind; count?: number }
  | { type: 'refuse'; ms: number }
  | { type: 'rest'; status: number; count?: number; retryAfterSeconds?: number }
  | { type: 'server-shutdown'; closeAfterMs?: number }
  | { type: 'clear' };

export const FAULT_TYPES = ['reset', 'close', 'stall', 'no-pong', 'no-ping', 'malformed', 'refuse', 'rest', 'server-shutdown', 'clear'];

/** Timed switches the connections and the REST handler consult. */
export class FaultState {
  stallUntil = 0;
  noPongUntil = 0;
  noPingUntil = 0;
  refuseUntil = 0;
  rest: { status: number; remaining: number; retryAfterSeconds: number } | undefined;

  static untilFrom(now: number, ms: number | undefined): number {
    return ms === undefined ? Number.POSITIVE_INFINITY : now + ms;
  }

  clear(): void {
    this.stallUntil = this.noPongUntil = this.noPingUntil = this.refuseUntil = 0;
    this.rest = undefined;
  }

  /** The REST failure to serve now, if one is queued. */
  takeRestFault(): { status: number; retryAfterSeconds: number } | undefined {
    if (!this.rest || this.rest.remaining <= 0) return undefined;
    this.rest.remaining--;
    return this.rest;
  }
}

/** A bad frame of the given kind, for a symbol's trade stream. */
export function malformedPayload(kind: MalformedKind, symbol: string, now: number): string {
  switch (kind) {
    case 'json':
      return `{"e":"trade","E":${now},"s":"${symbol}","t":`;
    case 'missing-field':
      return `{"e":"trade","E":${now},"s":"${symbol}","p":"1.00000000","q":"1.00000000","T":${now},"m":true,"M":true}`;
    case 'unknown-event':
      return `{"e":"mysteryEvent","E":${now},"s":"${symbol}"}`;
    case 'wrong-type':
      return `{"e":"trade","E":${now},"s":"${symbol}","t":"not-a-number","p":1.5,"q":"1.00000000","T":${now},"m":"yes","M":true}`;
    case 'oversized':
      return `{"e":"trade","E":${now},"s":"${symbol}","pad":"${'x'.repeat(2 * 1024 * 1024)}"}`;
  }
}
