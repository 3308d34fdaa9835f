import { z } from 'zod';
import { emailInput, fileKeyInput, MAX_ATTACHMENTS, messageText, nameInput, storedText } from '../../../http/inputs';

/** What the widget sends, checked at the boundary; `website` may ride along in any query, since it names the website. */

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);

/** The widget's own id of a message (a UUID), so that a retried POST stores it once. */
const clientId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, - or _ (a UUID)');

export function sendMessageInput(messageMaxLength: number) {
  return z
    .strictObject({
      clientId,
      body: messageText(messageMaxLength).default(''),
      attachments: z.array(z.strictObject({ fileKey: fileKeyInput })).max(MAX_ATTACHMENTS).default([]),
      /** The page the visitor wrote from, shown to agents. */
      pageUrl: httpUrl.optional(),
    })
    .refine((b) => b.body.trim().length > 0 || b.attachments.length > 0, { message: 'needs a non-empty body or an attachment', path: ['body'] });
}

export const identifyInput = z.strictObject({
  id: storedText().trim().min(1).max(200),
  name: nameInput.optional(),
  email: emailInput.optional(),
  hash: z.string().max(128).optional(),
});

export const profileInput = z.strictObject({ name: nameInput.optional(), email: emailInput.optional() });

export function offlineMessageInput(messageMaxLength: number) {
  return z.strictObject({
    email: emailInput,
    name: nameInput.optional(),
    message: messageText(messageMaxLength).refine((text) => text.trim().length > 0, 'must not be blank'),
  });
}

export const pageViewInput = z.strictObject({
  url: httpUrl,
  title: storedText().max(500).optional(),
  // document.referrer is empty when there was none.
  referrer: z.union([httpUrl, z.literal('')]).optional(),
});

export const timeOnPageInput = z.strictObject({ seconds: z.number().min(0).max(7 * 24 * 3600).transform(Math.round) });

export const ratingInput = z.strictObject({
  score: z.int().min(1).max(5),
  comment: storedText().trim().max(2000).optional(),
});

export const historyQuery = z.object({ after: z.uuid().optional() });

export const uploadQuery = z.object({ name: z.string().max(1024).optional() });

export const idParams = z.strictObject({ id: z.uuid() });
