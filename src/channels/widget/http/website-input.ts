import { z } from 'zod';
import { normalizeAllowedOrigin } from '../../../core/websites/origins';
import { afterResolveInputs, nameInput, storedText } from '../../../http/inputs';

/**
 * A website's settings as the REST API and the CLI take them (one schema, so both refuse the same
 * things): origins are stored normalized, colours lower-case.
 */

/** A host name or an IP address, with its port: the URL parser also takes hosts like `*` that no page has. */
const ORIGIN_HOST = /^https?:\/\/(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:\d+)?$/;

const originInput = storedText()
  .trim()
  .max(300)
  .transform((entry, ctx) => {
    const origin = normalizeAllowedOrigin(entry);
    if (origin !== undefined && ORIGIN_HOST.test(origin)) return origin;
    ctx.addIssue({ code: 'custom', message: `"${entry}" is not an origin: scheme and host only, like https://shop.example.com, http://localhost:3000 or https://*.example.com` });
    return z.NEVER;
  });

const websiteFields = {
  name: nameInput,
  allowedOrigins: z.array(originInput).min(1).max(100).describe('Page origins that may use the widget; a wildcard https://*.example.com allows its subdomains'),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #2563eb')
    .transform((color) => color.toLowerCase())
    .optional()
    .describe('The launcher and the visitor’s bubbles, #rrggbb (default #2563eb)'),
  greeting: storedText().trim().min(1).max(500).nullable().optional().describe('Shown when the panel opens'),
  awayMessage: storedText().trim().min(1).max(1000).nullable().optional().describe('Shown with the offline form when nobody of the team is online'),
  position: z.enum(['left', 'right']).optional().describe('Corner of the launcher (default right)'),
  locale: z.enum(['en', 'fr']).nullable().optional().describe('Null: from the page’s lang, then the browser’s languages'),
  teamId: z.uuid().nullable().optional().describe('The team whose conversations the widget opens, and whose agents make it "online"; null: any agent'),
  requireVerifiedIdentity: z.boolean().optional().describe('Refuse identify without a valid hash (default false)'),
  preChatForm: z.boolean().optional().describe('Ask for name and email before the first message (default false)'),
  recordPageViews: z.boolean().optional().describe('Record the pages visitors see (default true)'),
  keepQueryStrings: z.boolean().optional().describe('Keep query strings of recorded pages (default false: they often carry tokens)'),
  ...afterResolveInputs,
};

export const websiteCreateInput = z.strictObject(websiteFields);

export const websitePatchInput = z
  .strictObject(websiteFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' });
