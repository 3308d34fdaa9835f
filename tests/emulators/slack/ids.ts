import { randomBytes, randomInt } from 'node:crypto';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A Slack-shaped id: a type letter ('U', 'C', 'B', 'T', 'Ev', …) and upper-case alphanumerics. */
export function newId(prefix: string, length = 10): string {
  let id = prefix;
  for (let i = 0; i < length; i += 1) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)] ?? 'X';
  return id;
}

/** Shaped like Slack's ('13345224609.738474920.8088930838d88f008e0'); only its uniqueness matters. */
export function newTriggerId(): string {
  return `${randomInt(1e9, 1e10)}.${randomInt(1e8, 1e9)}.${randomBytes(10).toString('hex')}`;
}

/**
 * Message timestamps: Slack's ts is both the message id and its time, seconds and microseconds.
 * One clock per emulator keeps them unique and increasing even within the same millisecond, which
 * hubs that sort or dedupe by ts rely on.
 */
export class TsClock {
  private lastMicros = 0;

  next(): string {
    this.lastMicros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    const seconds = Math.floor(this.lastMicros / 1e6);
    return `${seconds}.${String(this.lastMicros % 1e6).padStart(6, '0')}`;
  }
}

/** What Slack takes for a ts argument: a bare '0' or '' is refused (e.g. 'invalid_thread_ts'). */
export const TS_PATTERN = /^\d+\.\d+$/;
