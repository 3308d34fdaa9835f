import { createHmac, timingSafeEqual } from 'node:crypto';
import { isFileKey } from '../ports/file-storage';

const EXPIRES = /^\d{1,12}$/;
/** Unpadded base64url of a SHA-256 HMAC. */
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Links to stored files that work without an API key until they expire, for whoever cannot send one:
 * Twilio fetching MMS media, a visitor's browser showing a picture. Anyone holding the hub's secret can
 * make them, and nothing else can.
 */
export class FileLinks {
  private readonly publicUrl: string;

  constructor(
    private readonly secret: Buffer,
    publicUrl: string,
    private readonly ttlSeconds: number,
  ) {
    this.publicUrl = publicUrl.replace(/\/+$/, '');
  }

  signedUrl(fileKey: string, now = new Date()): string {
    const expires = String(Math.floor(now.getTime() / 1000) + this.ttlSeconds);
    return `${this.publicUrl}/files/${encodeURIComponent(fileKey)}?expires=${expires}&signature=${this.sign(fileKey, expires)}`;
  }

  /** True for a link made by `signedUrl` that has not expired. */
  verify(fileKey: string, expires: string, signature: string, now = new Date()): boolean {
    if (!isFileKey(fileKey) || !EXPIRES.test(expires) || !SIGNATURE.test(signature)) return false;
    if (Number(expires) <= now.getTime() / 1000) return false;
    // Compared as text: decoding would ignore the last character's spare bits, so two strings would pass.
    return timingSafeEqual(Buffer.from(signature), Buffer.from(this.sign(fileKey, expires)));
  }

  private sign(fileKey: string, expires: string): string {
    return createHmac('sha256', this.secret).update(`${fileKey}\n${expires}`).digest('base64url');
  }
}
