import type { Headers, HeaderLines } from 'mailparser';
import type { Bounce, MailAddress, MailKind, ParsedAttachment } from '../mail';
import { fieldGroups, headerSection, type Fields } from './header-fields';
import { messageIdList, rawHeader, structuredHeader } from './mime-headers';

export interface BounceInput {
  headers: Headers;
  headerLines: HeaderLines;
  from: MailAddress | undefined;
  /** The human-readable part. */
  text: string;
  attachments: readonly ParsedAttachment[];
}

const STATUS_PARTS = new Set(['message/delivery-status', 'message/global-delivery-status']);
const RETURNED_PARTS = new Set(['message/rfc822', 'text/rfc822-headers', 'message/global', 'message/global-headers']);
const DAEMONS = new Set(['mailer-daemon', 'postmaster']);
const ENHANCED_STATUS = /\b([45])\.\d{1,3}\.\d{1,3}\b/;
const SMTP_REPLY = /\b[45]\d\d[ -]/;

/** A notification that reports no delivery of a mail of ours (a daemon's notice about something else). */
const NOTICE: MailKind = { kind: 'automatic', reason: 'delivery status notification' };

function isDeliveryReport(headers: Headers): boolean {
  const type = structuredHeader(headers, 'content-type');
  return type?.value.toLowerCase() === 'multipart/report' && type.params['report-type']?.toLowerCase() === 'delivery-status';
}

/** From MAILER-DAEMON or postmaster, or with the empty Return-Path (`<>`) of mail about mail. */
function isFromDaemon(input: BounceInput): boolean {
  const local = input.from?.address.split('@')[0] ?? '';
  return DAEMONS.has(local) || rawHeader(input.headerLines, 'return-path')?.replace(/\s/g, '') === '<>';
}

function actionOf(fields: Fields): Bounce['action'] | undefined {
  const action = fields.get('action')?.toLowerCase();
  const status = fields.get('status') ?? '';
  if (action === 'failed' || status.startsWith('5')) return 'failed';
  if (action === 'delayed' || status.startsWith('4')) return 'delayed';
  if (action === 'delivered' || action === 'relayed' || action === 'expanded') return 'delivered';
  return undefined;
}

function firstLine(text: string): string {
  return text.split('\n').map((line) => line.trim()).find((line) => line !== '') ?? '';
}

/** The returned message's id, else the ids it referred to; a report without the message may quote its headers. */
function originalIds(input: BounceInput): string[] {
  const returned = input.attachments.find((part) => RETURNED_PARTS.has(part.contentType));
  const quoted = returned ? returned.content.toString('utf8') : input.text.replace(/^[ \t>]+/gm, '');
  const fields = returned ? headerSection(quoted) : undefined;
  const id = fields ? fields.get('message-id') : /^Message-ID:[ \t]*(<[^<>\s]+>)/im.exec(quoted)?.[1];
  if (id !== undefined) return messageIdList(id);
  return fields ? messageIdList(`${fields.get('references') ?? ''} ${fields.get('in-reply-to') ?? ''}`) : [];
}

function reportBounce(input: BounceInput): MailKind {
  const part = input.attachments.find((attachment) => STATUS_PARTS.has(attachment.contentType));
  const recipients = part ? fieldGroups(part.content.toString('utf8')).filter((fields) => fields.has('action') || fields.has('status')) : [];
  // One failed recipient makes the report a failure; else one delayed makes it a delay; else it reports success.
  const action = (['failed', 'delayed', 'delivered'] as const).find((wanted) => recipients.some((fields) => actionOf(fields) === wanted));
  const chosen = recipients.find((fields) => actionOf(fields) === action);
  if (!action || !chosen) return part ? NOTICE : textBounce(input);
  const diagnostic = chosen.get('diagnostic-code')?.replace(/^[\w-]+\s*;\s*/, '');
  const reason = diagnostic || chosen.get('status') || firstLine(input.text);
  return { kind: 'bounce', bounce: { messageIds: originalIds(input), reason, action } };
}

/** A daemon's plain-text failure notice: its words say what happened, its quoted headers which mail. */
function textBounce(input: BounceInput): MailKind {
  const messageIds = originalIds(input);
  if (messageIds.length === 0) return NOTICE;
  const lines = input.text.split('\n').map((line) => line.trim());
  const reason = lines.find((line) => ENHANCED_STATUS.test(line) || SMTP_REPLY.test(line)) ?? firstLine(input.text);
  const transient = ENHANCED_STATUS.exec(reason)?.[1] === '4' || /\b(?:delayed|will retry|retrying)\b/i.test(input.text);
  return { kind: 'bounce', bounce: { messageIds, reason, action: transient ? 'delayed' : 'failed' } };
}

/** What a delivery status notification says, or undefined for mail that is none. */
export function bounceOf(input: BounceInput): MailKind | undefined {
  if (isDeliveryReport(input.headers)) return reportBounce(input);
  if (isFromDaemon(input)) return textBounce(input);
  return undefined;
}
