import type { Logger } from 'pino';
import type { Database } from '../../../core/database';
import { AppError } from '../../../core/errors';
import { storeUpload, attachmentOf, type UploadPolicy } from '../../../core/files/uploads';
import type { Inbound } from '../../../core/inbound';
import type { Attachment } from '../../../core/model/types';
import type { FileStorage } from '../../../core/ports/file-storage';
import { Sql } from '../../../core/sql';
import type { HubMessageIds, SupportAddresses } from '../addresses';
import type { Bounce, ParsedAttachment, ParsedEmail } from '../mail';
import { EMAIL_CHANNEL } from '../name';
import { parseEmail } from '../parse';
import type { Threading, ThreadedBy } from './threading';

/** What became of one received mail. Every outcome is final: the sender is told 250 for each. */
export type Received =
  /** `threadedBy`: how it found its conversation; absent for a redelivery known before threading. */
  | { kind: 'stored'; duplicate: boolean; conversationId: string; messageId: string; threadedBy?: ThreadedBy | 'new' }
  /** A delivery status notification: the hub's messages it moved. */
  | { kind: 'report'; action: 'failed' | 'delivered'; messages: string[] }
  | { kind: 'ignored'; reason: string };

export interface MailReceiverOptions {
  db: Database;
  inbound: Inbound;
  storage: FileStorage;
  uploadPolicy: UploadPolicy;
  addresses: SupportAddresses;
  threading: Threading;
  messageIds: HubMessageIds;
  /** This hub's X-Switchboard-Hub value. */
  hubId: string;
  /** MAIL_FROM's address: mail from it is the hub's own. */
  mailFrom: string;
  publicUrl: string;
  maxBodyLength: number;
  logger: Logger;
}

/** The sanitized HTML is kept for agents up to this size; the original is always there in full. */
const MAX_HTML_CHARS = 200_000;

/**
 * The one way a received mail enters the hub, whether it came over SMTP or a provider's webhook: parsed,
 * sorted from noise, threaded, its files and original stored, then ingested (idempotent on its
 * Message-ID). Resolves once the message is committed, so the caller may acknowledge it.
 */
export class MailReceiver {
  constructor(private readonly options: MailReceiverOptions) {}

  /** `envelope`: the SMTP RCPT TO addresses, which say which inbox the mail was for better than its headers. */
  async receive(raw: Buffer, envelope: readonly string[] = []): Promise<Received> {
    const { addresses, logger } = this.options;
    const mail = await parseEmail(raw);
    const log = logger.child({ emailMessageId: mail.messageId });
    const ignored = await this.noiseOf(mail);
    if (ignored) {
      log.info({ reason: ignored }, 'mail ignored');
      return { kind: 'ignored', reason: ignored };
    }
    if (mail.kind.kind === 'bounce') return this.bounce(mail.kind.bounce, log);
    const from = mail.from;
    if (!from) return { kind: 'ignored', reason: 'no_sender' };
    const recipient = await addresses.firstOf([...envelope, ...mail.recipients]);
    if (!recipient) throw new AppError('validation', 'unknown_recipient', 'The mail is for none of the support addresses (EMAIL_ADDRESSES).');

    // Ingest takes a redelivered mail as the duplicate it is; asked first only where its files would be stored again.
    const known = mail.attachments.length > 0 ? await this.storedAs(mail.messageId) : undefined;
    if (known) return { kind: 'stored', duplicate: true, ...known };

    const now = new Date();
    const thread = await this.options.threading.threadOf(mail, recipient, from.address, now);
    const files = await this.storeAttachments(mail.attachments, log);
    const result = await this.options.inbound.accept({
      kind: 'message',
      message: {
        channel: EMAIL_CHANNEL,
        externalId: mail.messageId,
        sender: { address: from.address, email: from.address, ...(from.name ? { name: from.name } : {}) },
        body: bodyOf(mail.body, this.options.maxBodyLength),
        attachments: files.stored,
        channelAddress: recipient.inbox,
        continuesLatest: false,
        original: { contentType: 'message/rfc822', content: raw },
        subject: mail.subject.slice(0, 500) || undefined,
        ...(thread ? { threadId: thread.conversationId } : {}),
        metadata: {
          subject: mail.subject,
          threadedBy: thread?.by ?? 'new',
          ...(mail.html ? { html: mail.html.slice(0, MAX_HTML_CHARS) } : {}),
          ...(files.skipped.length > 0 ? { skippedAttachments: files.skipped } : {}),
        },
      },
    });
    log.info({ conversationId: result.conversationId, threadedBy: thread?.by ?? 'new', duplicate: result.duplicate }, 'mail received');
    return { kind: 'stored', duplicate: result.duplicate, conversationId: result.conversationId, messageId: result.messageId, threadedBy: thread?.by ?? 'new' };
  }

  /** Mail that must never open or reopen a conversation: the hub's own, automatic answers, lists. */
  private async noiseOf(mail: ParsedEmail): Promise<string | undefined> {
    const from = mail.from?.address;
    // Another hub's mail (a business that runs Switchboard writing to this one) is a customer's like any other.
    if (mail.sentByHub === this.options.hubId || this.options.messageIds.localOf(mail.messageId) !== undefined) return 'own_mail';
    if (from !== undefined && (from === this.options.mailFrom || (await this.options.addresses.recipientOf(from)))) return 'own_address';
    if (mail.kind.kind === 'automatic') return `automatic:${mail.kind.reason}`;
    if (mail.kind.kind === 'list') return 'mailing_list';
    return undefined;
  }

  /**
   * A permanent failure report marks each message of ours it names failed, with the report's reason; a
   * success notification marks them delivered. A delay says nothing final and moves nothing.
   */
  private async bounce(bounce: Bounce, log: Logger): Promise<Received> {
    if (bounce.action === 'delayed') return { kind: 'ignored', reason: 'delay_notification' };
    const change = bounce.action === 'failed' ? { status: 'failed' as const, reason: bounce.reason.slice(0, 1000) } : { status: 'delivered' as const };
    const moved: string[] = [];
    for (const id of bounce.messageIds) {
      const local = this.options.messageIds.localOf(id);
      const { message } = await this.options.inbound.accept({
        kind: 'receipt',
        channel: EMAIL_CHANNEL,
        ...(local ? { messageId: local } : { externalId: id }),
        change,
      });
      if (message) moved.push(message.id);
    }
    log.info({ action: bounce.action, messages: moved.length }, 'delivery status notification received');
    return { kind: 'report', action: bounce.action, messages: moved };
  }

  private async storedAs(messageId: string): Promise<{ conversationId: string; messageId: string } | undefined> {
    const sql = new Sql(this.options.db.manager, this.options.db.engine);
    const [row] = await sql.rows<{ id: string; conversationId: string }>(
      `SELECT id, "conversationId" FROM messages WHERE channel = ? AND direction = 'inbound' AND "externalId" = ?`,
      [EMAIL_CHANNEL, messageId],
    );
    return row ? { conversationId: row.conversationId, messageId: row.id } : undefined;
  }

  /** Files the upload policy refuses do not refuse the mail: they are listed on the message instead. */
  private async storeAttachments(parts: readonly ParsedAttachment[], log: Logger): Promise<{ stored: Attachment[]; skipped: { name: string; reason: string }[] }> {
    const stored: Attachment[] = [];
    const skipped: { name: string; reason: string }[] = [];
    for (const part of parts) {
      try {
        const upload = await storeUpload(this.options.storage, this.options.uploadPolicy, part.content, { name: part.filename, contentType: part.contentType });
        stored.push(attachmentOf(upload, this.options.publicUrl));
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        skipped.push({ name: part.filename, reason: error.code });
        log.debug({ code: error.code }, 'mail attachment refused by the upload policy');
      }
    }
    return { stored, skipped };
  }
}

function bodyOf(text: string, max: number): string {
  const clean = text.replaceAll('\u0000', '');
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}
