import { z } from 'zod';
import type { Consent } from '../../core/contacts/consent';
import { toE164 } from '../../core/phone';
import { storedText } from '../../http/inputs';

/** Twilio sends at most 10 media per MMS. */
export const MAX_MEDIA = 10;

/**
 * A number as Twilio writes it, in E.164. libphonenumber normalizes it; a number its metadata does not
 * know yet (new ranges) is kept as Twilio sent it, since Twilio has already routed a message from it.
 */
const twilioNumber = z
  .string()
  .trim()
  .regex(/^\+[1-9]\d{6,14}$/, 'is not an E.164 number')
  .transform((value) => toE164(value) ?? value);

/** The fields of Twilio's incoming-message webhook the hub uses; Twilio sends many more. */
export const incomingSmsSchema = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, 'is not a Twilio message SID'),
  AccountSid: z.string(),
  From: twilioNumber,
  To: twilioNumber,
  Body: storedText().max(1600 * 10).default(''),
  NumMedia: z.coerce.number().int().min(0).max(MAX_MEDIA).default(0),
});
export type IncomingSms = z.output<typeof incomingSmsSchema>;

export interface IncomingMedia {
  url: string;
  contentType: string;
}

/** MediaUrl0..N and MediaContentType0..N of an MMS, in order. */
export function mediaOf(form: Record<string, unknown>, count: number): IncomingMedia[] {
  const media: IncomingMedia[] = [];
  for (let i = 0; i < count; i++) {
    const url = form[`MediaUrl${i}`];
    const contentType = form[`MediaContentType${i}`];
    if (typeof url === 'string') media.push({ url, contentType: typeof contentType === 'string' ? contentType : 'application/octet-stream' });
  }
  return media;
}

/** Statuses Twilio reports for an outbound message, and what each means for the hub's message. */
export const twilioStatusSchema = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, 'is not a Twilio message SID'),
  AccountSid: z.string(),
  MessageStatus: z.enum(['accepted', 'scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'read', 'canceled', 'receiving', 'received', 'partially_delivered']),
  ErrorCode: z.string().regex(/^\d{1,6}$/).optional(),
});
export type TwilioStatus = z.output<typeof twilioStatusSchema>;

/**
 * The carrier keywords Twilio's own opt-out handling recognizes. A message that is exactly one of them
 * (any case, surrounding spaces and a final full stop or exclamation mark ignored) is the keyword.
 */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE']);
const OPT_IN = new Set(['START', 'YES', 'UNSTOP']);
const HELP = new Set(['HELP', 'INFO']);

export type Keyword = { kind: 'consent'; consent: Consent } | { kind: 'help' } | undefined;

export function keywordOf(body: string): Keyword {
  const word = body.trim().replace(/[.!]+$/, '').toUpperCase();
  if (OPT_OUT.has(word)) return { kind: 'consent', consent: 'opt_out' };
  if (OPT_IN.has(word)) return { kind: 'consent', consent: 'opt_in' };
  if (HELP.has(word)) return { kind: 'help' };
  return undefined;
}
