import { simpleParser, type ParsedMail, type SimpleParserOptions } from 'mailparser';
import { ValidationError } from '../../../core/errors';
import type { ParsedEmail } from '../mail';
import { recipientsOf, senderOf } from './addresses';
import { attachmentsOf } from './attachments';
import { cidReferences, sanitizeEmailHtml, withoutImagePlaceholders } from './html';
import { htmlToText } from './html-text';
import { kindOf } from './kind';
import { dateOf, headerText, messageIdList, ownMessageId } from './mime-headers';
import { newText } from './reply-text';
import { isForwardSubject } from './subject';

export { normalizeSubject, replySubject } from './subject';

/**
 * `cid:` links stay links (the images are attachments of their own); delivery-status and returned
 * messages stay parts, for the bounce reader; nothing is computed that the channel does not read
 * (text as HTML, checksums, mailparser's text rendering: the channel renders the sanitized HTML).
 */
const PARSER_OPTIONS: SimpleParserOptions = {
  keepCidLinks: true,
  keepDeliveryStatus: true,
  ignoreEmbedded: true,
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  checksumAlgo: false,
};

/** mailparser refuses mail past its limits (a header block over 1 MB, over 1000 parts): the sender's fault, not ours. */
async function read(raw: Buffer): Promise<ParsedMail> {
  try {
    return await simpleParser(raw, PARSER_OPTIONS);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ValidationError('The mail could not be parsed.', [{ path: 'message', message, code: 'unparseable_mail' }]);
  }
}

/**
 * A received mail, raw MIME as it came over SMTP or from a provider's hook, read for the hub. Throws
 * ValidationError for mail that can not be parsed at all.
 */
export async function parseEmail(raw: Buffer): Promise<ParsedEmail> {
  const mail = await read(raw);
  const subject = (mail.subject ?? '').trim();
  const rawHtml = typeof mail.html === 'string' ? mail.html : undefined;
  const html = rawHtml === undefined ? undefined : sanitizeEmailHtml(rawHtml);
  const text = withoutImagePlaceholders(mail.text?.trim() ? mail.text : htmlToText(html ?? ''));
  const from = senderOf(mail.from);
  const attachments = attachmentsOf(mail.attachments, cidReferences(rawHtml));
  return {
    messageId: ownMessageId(mail.messageId, raw),
    inReplyTo: messageIdList(mail.inReplyTo),
    references: messageIdList(mail.references),
    from,
    recipients: recipientsOf(mail.to, mail.cc, mail.headers),
    subject,
    date: dateOf(mail.headerLines),
    text,
    html,
    body: newText(text, { forwarded: isForwardSubject(subject) }),
    attachments,
    kind: kindOf({ headers: mail.headers, headerLines: mail.headerLines, from, text, attachments }),
    sentByHub: headerText(mail.headers, 'x-switchboard-hub') || undefined,
  };
}
