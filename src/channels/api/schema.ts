import { z } from 'zod';
import { toE164 } from '../../core/phone';

export interface InboundSchemaOptions {
  messageMaxLength: number;
  defaultPhoneRegion?: string;
}

const MAX_ATTACHMENTS = 10;

/** Text that is stored in a column: PostgreSQL's text types cannot hold NUL, so it is refused on both engines. */
const text = () => z.string().refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');

/** `POST /api/v1/inbound`: a customer's message from a system the hub has no adapter for. */
export function inboundSchema({ messageMaxLength, defaultPhoneRegion }: InboundSchemaOptions) {
  const phone = text()
    .trim()
    .max(32)
    .transform((value, ctx) => {
      const e164 = toE164(value, defaultPhoneRegion);
      if (!e164) {
        ctx.addIssue({ code: 'custom', message: defaultPhoneRegion ? 'is not a valid phone number' : 'is not a valid phone number in international format (+country code)' });
        return z.NEVER;
      }
      return e164;
    });

  const contact = z
    .strictObject({
      externalId: text().trim().min(1).max(255).optional(),
      name: text().trim().min(1).max(200).optional(),
      // 254 is the longest address SMTP can carry (RFC 5321); the stored identity adds a prefix to it.
      email: z.email().max(254).transform((email) => email.toLowerCase()).optional(),
      phone: phone.optional(),
    })
    // A name alone cannot tell two customers apart, so one of the identifying fields is required.
    .refine((c) => c.externalId !== undefined || c.email !== undefined || c.phone !== undefined, {
      message: 'needs at least one of externalId, email, phone to identify the customer',
    });

  const attachment = z.strictObject({
    url: z.url({ protocol: /^https?$/ }).max(2048),
    contentType: z.string().max(127).optional(),
    name: z.string().max(255).optional(),
    size: z.int().nonnegative().optional(),
  });

  return z
    .strictObject({
      sourceId: text().trim().min(1).max(255),
      contact,
      body: text().max(messageMaxLength, `is longer than ${messageMaxLength} characters`),
      attachments: z.array(attachment).max(MAX_ATTACHMENTS).optional(),
    })
    .refine((input) => input.body.trim().length > 0 || (input.attachments?.length ?? 0) > 0, {
      message: 'needs a non-empty body or at least one attachment',
      path: ['body'],
    });
}

export type InboundRequest = z.output<ReturnType<typeof inboundSchema>>;
