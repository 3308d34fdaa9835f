import { z } from 'zod';
import type { Attachment } from '../core/model/types';
import { toE164 } from '../core/phone';
import { FILE_KEY_PATTERN } from '../core/ports/file-storage';

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

/** The key of a file uploaded with POST /api/v1/files. */
export const fileKeyInput = z.string().regex(FILE_KEY_PATTERN, 'is not a file key (the fileKey that POST /api/v1/files answered)');

/** An attachment that still has to be looked up: a stored file named by its key alone. */
export interface FileKeyRef {
  fileKey: string;
}

/**
 * An attachment given by link (the fields of `attachmentInput`) or a file uploaded to the hub (`fileKey`
 * alone: its type, name and size are the stored ones). One object rather than a union, so that a wrong
 * field is named (`attachments.0.url`) instead of "matches neither form".
 */
export const replyAttachmentInput = z
  .strictObject({ ...attachmentInput.shape, url: attachmentInput.shape.url.optional(), fileKey: fileKeyInput.optional() })
  .describe('A link (url, with optional contentType, name, size) or { fileKey } of a file uploaded with POST /api/v1/files')
  .transform((input, ctx): Attachment | FileKeyRef => {
    const { fileKey, url, ...rest } = input;
    if (fileKey !== undefined) {
      if (url === undefined && Object.keys(rest).length === 0) return { fileKey };
      ctx.addIssue({ code: 'custom', path: ['fileKey'], message: 'comes alone: the type, name and size of a stored file are the ones it was stored with' });
      return z.NEVER;
    }
    if (url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required, unless the attachment is { fileKey } of an uploaded file' });
      return z.NEVER;
    }
    return { url, ...rest };
  });

/** A message's text, bounded by MESSAGE_MAX_LENGTH. */
export function messageText(maxLength: number) {
  return storedText().max(maxLength, `is longer than ${maxLength} characters`);
}

/** A person's or a team's display name. */
export const nameInput = storedText().trim().min(1).max(200);

/** A team's or website's settings of what follows a resolution (see afterResolveSettings); null: the next in line decides. */
export const afterResolveInputs = {
  followUpDelayHours: z
    .number()
    .min(0)
    .max(720)
    .nullable()
    .optional()
    .describe('Hours after resolution until the customer is asked by email how we did (fractions allowed: 0.5 is 30 minutes); 0: never; null: the next in line decides (team, then website, then FOLLOW_UP_DELAY_HOURS)'),
  transcriptOnResolve: z.boolean().nullable().optional().describe('Email the customer the transcript when the conversation is resolved; null: the next in line decides (team, then website, then no)'),
};
