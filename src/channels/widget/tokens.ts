import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a visitor token says; the hub signed it, so a visitor cannot change a word of it. */
export interface VisitorClaims {
  /** The browser's widget identity. */
  identityId: string;
  websiteId: string;
  /** The site's user id, once `identify` verified it. */
  userId: string | null;
  /** Seconds since the epoch. */
  issuedAt: number;
}

const VERSION = 'v1';
/** Real tokens are about 200 characters; anything much longer is not worth a HMAC. */
const MAX_LENGTH = 1024;

function isClaims(value: unknown): value is { i: string; w: string; u: string | null; t: number } {
  const claims = value as Record<string, unknown> | null;
  return typeof claims?.i === 'string' && typeof claims.w === 'string' && (claims.u === null || typeof claims.u === 'string') && typeof claims.t === 'number';
}

/**
 * Visitor tokens: `v1.<claims as base64url JSON>.<base64url HMAC-SHA256>`, signed with a secret the hub
 * keeps in its database (every process shares it). Stateless, so a token costs no lookup to check; it
 * carries no expiry because the widget keeps one per browser for as long as the visitor comes back.
 */
export class VisitorTokens {
  constructor(private readonly secret: Buffer) {}

  issue(claims: Omit<VisitorClaims, 'issuedAt'>, now = new Date()): string {
    const payload = Buffer.from(JSON.stringify({ i: claims.identityId, w: claims.websiteId, u: claims.userId, t: Math.floor(now.getTime() / 1000) })).toString('base64url');
    return `${VERSION}.${payload}.${this.sign(payload)}`;
  }

  /** The claims of a token this hub issued, or undefined for anything else. */
  verify(token: string): VisitorClaims | undefined {
    if (token.length > MAX_LENGTH) return undefined;
    const [version, payload, signature, ...rest] = token.split('.');
    if (version !== VERSION || payload === undefined || signature === undefined || rest.length > 0) return undefined;
    const expected = this.sign(payload);
    // Compared as text: decoding would ignore a last character's spare bits, so two strings would pass.
    if (signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) return undefined;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    return isClaims(claims) ? { identityId: claims.i, websiteId: claims.w, userId: claims.u, issuedAt: claims.t } : undefined;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(`${VERSION}.${payload}`).digest('base64url');
  }
}
