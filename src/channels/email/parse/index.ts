import { simpleParser, type SimpleParserOptions } from 'mailparser';
import type { ParsedEmail } from '../mail';
import { recipientsOf, senderOf } from './addresses';
import { attachmentsOf } from './attachments';
import { cidReferences, sanitizeEmailHtml, withoutImagePlaceholders } from './html';
import { kindOf } from './kind';
import { dateOf, headerText, messageIdList, ownMessageId } from './mime-headers';
import { newText } from './reply-text';
import { isForwardSubject } from './subject';

export { normalizeSubject, replySubject } from './subject';

/**
 * `cid:` links stay links (the images are attachments of their own); delivery-status and returned
 * messages stay parts, for the bounce reader; nothing is computed that the channel does not read
 * (text as HTML, checksums).
 */
const PARSER_OPTIONS: SimpleParserOptions = {
  keepCidLinks: true,
  keepDeliveryStatus: true,
  ignoreEmbedded: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  checksumAlgo: false,
};

/** A received mail, raw MIME as it came over SMTP or from a provider's hook, read for the hub. */
export async function parseEmail(raw: Buffer): Promise<ParsedEmail> {
  const mail = await simpleParser(raw, PARSER_OPTIONS);
  const subject = (mail.subject ?? '').trim();
  const text = withoutImagePlaceholders(mail.text ?? '');
  const rawHtml = typeof mail.html === 'string' ? mail.html : undefined;
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
    html: rawHtml === undefined ? undefined : sanitizeEmailHtml(rawHtml),
    body: newText(text, { forwarded: isForwardSubject(subject) }),
    attachments,
    kind: kindOf({ headers: mail.headers, headerLines: mail.headerLines, from, text, attachments }),
    sentByHub: headerText(mail.headers, 'x-switchboard-hub') || undefined,
  };
}
