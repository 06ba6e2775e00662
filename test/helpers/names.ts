import { randomBytes } from 'node:crypto';

/** A name no other test, and no earlier run on the same services, has used. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
