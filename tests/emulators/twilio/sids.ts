import { randomBytes } from 'node:crypto';

/** A Twilio-shaped sid: two-letter prefix (SM, MM, ME, ...) and 32 lowercase hex digits. */
export function newSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}
