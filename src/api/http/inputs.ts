import { z } from 'zod';
import { toE164 } from '../../core/phone';

/**
 * Request fields shared by the API's routes and the channels' inbound schemas, so that a rule about what
 * may be stored (no NUL, address lengths, E.164) is written once.
 */

/** Text that is stored in a column. PostgreSQL's text types cannot hold NUL, so it is refused on both engines. */
export function storedText() {
  return z.string().refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');
}

/** 254 is the longest address SMTP can carry (RFC 5321); stored lower-cased. */
export const emailInput = z
  .email()
  .max(254)
  .transform((email) => email.toLowerCase());

/** A phone number in any common format, stored in E.164; national numbers need a default region. */
export function phoneInput(defaultRegion?: string) {
  return storedText()
    .trim()
    .max(32)
    .transform((value, ctx) => {
      const e164 = toE164(value, defaultRegion);
      if (!e164) {
        ctx.addIssue({ code: 'custom', message: defaultRegion ? 'is not a valid phone number' : 'is not a valid phone number in international format (+country code)' });
        return z.NEVER;
      }
      return e164;
    });
}

export const MAX_ATTACHMENTS = 10;

export const attachmentInput = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2048),
  contentType: storedText().max(127).optional(),
  name: storedText().max(255).optional(),
  size: z.int().nonnegative().optional(),
});

/** A message's text, bounded by MESSAGE_MAX_LENGTH. */
export function messageText(maxLength: number) {
  return storedText().max(maxLength, `is longer than ${maxLength} characters`);
}

/** A person's or a team's display name. */
export const nameInput = storedText().trim().min(1).max(200);
