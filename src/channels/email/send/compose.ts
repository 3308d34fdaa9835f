import type { SendMailOptions } from 'nodemailer';
import { escapeHtml } from '../../../core/html';
import type { MailAddress, OutgoingMail } from '../mail';

/** Set on every mail a hub sends, so that the hub recognizes its own mail when it comes back. */
export const HUB_HEADER = 'X-Switchboard-Hub';

/**
 * How many ids References keeps. Long threads would otherwise grow the header without bound; RFC 5322
 * (3.6.4) keeps the thread's first id, and the most recent ones are what clients thread by.
 */
export const MAX_REFERENCES = 20;

export interface ComposeOptions {
  hubId: string;
}

/** The nodemailer message for one outgoing mail: addresses, threading headers, both alternatives. */
export function composeMail(mail: OutgoingMail, options: ComposeOptions): SendMailOptions {
  const references = capReferences(mail.references ?? []);
  return {
    from: address(mail.from),
    to: address(mail.to),
    ...(mail.replyTo ? { replyTo: address(mail.replyTo) } : {}),
    messageId: `<${mail.messageId}>`,
    ...(mail.inReplyTo ? { inReplyTo: `<${mail.inReplyTo}>` } : {}),
    ...(references.length > 0 ? { references: references.map((id) => `<${id}>`).join(' ') } : {}),
    subject: mail.subject,
    text: mail.text,
    html: mail.html ?? htmlFromText(mail.text),
    attachments: (mail.attachments ?? []).map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: attachment.content,
    })),
    headers: { [HUB_HEADER]: options.hubId, ...(mail.automatic ? automaticHeaders(mail.automatic.unsubscribeUrl) : {}) },
  };
}

/**
 * RFC 3834 asks automatic mail to say so (and not to use Precedence); Outlook reads its own header for
 * the same thing. RFC 8058 makes the unsubscribe link one POST that needs no page.
 */
function automaticHeaders(unsubscribeUrl: string): Record<string, string> {
  return {
    'Auto-Submitted': 'auto-replied',
    'X-Auto-Response-Suppress': 'All',
    'List-Unsubscribe': `<${unsubscribeUrl}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

/** nodemailer quotes and encodes the display name itself. */
function address(value: MailAddress): { name: string; address: string } | string {
  return value.name ? { name: value.name, address: value.address } : value.address;
}

/** The thread's first id and the most recent ones, at most MAX_REFERENCES in all. */
export function capReferences(ids: readonly string[]): string[] {
  const [first] = ids;
  if (ids.length <= MAX_REFERENCES || first === undefined) return [...ids];
  return [first, ...ids.slice(ids.length - (MAX_REFERENCES - 1))];
}

/** Text as HTML: every character escaped, blank lines between paragraphs, single line breaks as <br>. */
export function htmlFromText(text: string): string {
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .split(/\n(?:[ \t]*\n)+/)
    .map((paragraph) => paragraph.replace(/^\n+|\n+$/g, ''))
    .filter((paragraph) => paragraph.trim() !== '')
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, '<br>\n')}</p>`);
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n${paragraphs.join('\n')}\n</body></html>\n`;
}
