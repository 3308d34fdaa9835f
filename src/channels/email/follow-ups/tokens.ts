import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * The tokens in the links of the hub's automatic mail: a JSON claim and its HMAC-SHA256 under a secret
 * of the hub's, both base64url, so a link cannot be made up or changed (another follow-up, another
 * address) and a rating link stops working when it expires. What a token names is checked against the
 * database by whoever reads it.
 */

const ratingClaims = z.object({ k: z.literal('rating'), f: z.string().max(64), e: z.number().int() });
const unsubscribeClaims = z.object({ k: z.literal('unsubscribe'), a: z.string().max(320) });

export type LinkCheck<T> = { ok: true; value: T } | { ok: false; why: 'invalid' | 'expired' };

/** Longer than any token this signs: a longer one is refused before any decoding. */
const MAX_TOKEN_LENGTH = 600;

export class LinkTokens {
  constructor(private readonly secret: Buffer) {}

  /** A rating link's token: the follow-up it answers, until `expiresAt`. */
  rating(followUpId: string, expiresAt: Date): string {
    return this.sign({ k: 'rating', f: followUpId, e: Math.floor(expiresAt.getTime() / 1000) });
  }

  /** An unsubscribe link's token: the address; it does not expire (a mail client may offer it years later). */
  unsubscribe(address: string): string {
    return this.sign({ k: 'unsubscribe', a: address });
  }

  checkRating(token: string, now = new Date()): LinkCheck<string> {
    const claims = this.verify(token, ratingClaims);
    if (!claims) return { ok: false, why: 'invalid' };
    if (claims.e * 1000 <= now.getTime()) return { ok: false, why: 'expired' };
    return { ok: true, value: claims.f };
  }

  checkUnsubscribe(token: string): LinkCheck<string> {
    const claims = this.verify(token, unsubscribeClaims);
    return claims ? { ok: true, value: claims.a } : { ok: false, why: 'invalid' };
  }

  private sign(claims: object): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  private verify<S extends z.ZodType>(token: string, schema: S): z.output<S> | undefined {
    if (token.length > MAX_TOKEN_LENGTH) return undefined;
    const [payload = '', signature = '', ...rest] = token.split('.');
    if (rest.length > 0 || !payload || !signature) return undefined;
    // Compared as text: decoding would ignore a last character's spare bits, so two spellings would pass.
    const given = Buffer.from(signature);
    const expected = Buffer.from(this.mac(payload).toString('base64url'));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const parsed = schema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.secret).update(`email-link.${payload}`).digest();
  }
}
