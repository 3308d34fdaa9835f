import type { Database } from '../../../core/database';
import type { Json } from '../../../core/serialize';
import type { Attachment, Message } from '../../../core/model/types';
import type { ChannelAdapter, OutboundDelivery, SendContext, SendReceipt } from '../../../core/ports/channel-adapter';
import type { FileStorage } from '../../../core/ports/file-storage';
import { PermanentDeliveryError } from '../../../core/errors';
import { Sql } from '../../../core/sql';
import type { HubMessageIds, ReplyTokens } from '../addresses';
import type { MailAddress, Mailer, OutgoingAttachment, OutgoingMail } from '../mail';
import { EMAIL_CHANNEL } from '../name';
import { replySubject } from '../parse/subject';

export interface EmailAdapterOptions {
  db: Database;
  storage: FileStorage;
  mailer: Mailer;
  messageIds: HubMessageIds;
  tokens: ReplyTokens;
  /** MAIL_FROM: its name is the brand ("Grace at Acme"); its address sends for conversations with no inbox. */
  mailFrom: MailAddress;
  /** The one-click unsubscribe link of an address, for the hub's automatic mail. */
  unsubscribeUrl: (address: string) => Promise<string>;
}

/** A thread's References are capped by the composer; this many of the newest is more than it keeps. */
const THREAD_IDS = 30;

/**
 * Sends agents' replies as mail that threads in the customer's client: its own Message-ID, In-Reply-To
 * the customer's latest mail, References to the conversation's mails, Reply-To with the conversation's
 * reply token, and the conversation's subject with Re:.
 */
export class EmailAdapter implements ChannelAdapter {
  readonly channel = EMAIL_CHANNEL;
  // Bounces come back as failure reports, which move a sent reply to failed.
  readonly capabilities = { attachments: true, receipts: 'push', threads: true, addresses: 'email' } as const;

  constructor(private readonly options: EmailAdapterOptions) {}

  async send({ message, conversation, identity }: OutboundDelivery, { signal }: SendContext): Promise<SendReceipt> {
    const { options } = this;
    const inbox: MailAddress = { address: conversation.channelAddress ?? options.mailFrom.address };
    const [senderName, thread, attachments] = await Promise.all([this.senderName(message), this.threadOf(message), this.attachmentsOf(message.attachments)]);
    const from = { ...inbox, name: senderName };
    const automatic = message.senderKind === 'system' || message.senderKind === 'bot';
    const mail: OutgoingMail = {
      from,
      to: { address: identity.address },
      replyTo: options.tokens.replyAddress(from, conversation.id),
      messageId: options.messageIds.of(message.id),
      ...(thread.inReplyTo ? { inReplyTo: thread.inReplyTo } : {}),
      references: thread.references,
      subject: replySubject(conversation.subject ?? ''),
      text: withLinks(message.body, message.attachments),
      attachments,
      ...(automatic ? { automatic: { unsubscribeUrl: await options.unsubscribeUrl(identity.address) } } : {}),
    };
    signal.throwIfAborted();
    const sent = await options.mailer.send(mail, signal);
    return { externalId: sent.messageId, status: 'sent', metadata: { smtpResponse: sent.response.slice(0, 300) } };
  }

  /** "Grace at Acme" for an agent; the brand alone for the hub's own messages. */
  private async senderName(message: Json<Message>): Promise<string> {
    const brand = this.options.mailFrom.name ?? this.options.mailFrom.address;
    if (message.senderKind !== 'agent' || !message.senderId) return brand;
    const [agent] = await this.sql().rows<{ name: string }>(`SELECT name FROM agents WHERE id = ?`, [message.senderId]);
    return agent ? `${agent.name} at ${brand}` : brand;
  }

  /** The Message-IDs of the conversation's mails before this one, oldest first, and the customer's latest. */
  private async threadOf(message: Json<Message>): Promise<{ inReplyTo: string | undefined; references: string[] }> {
    const sql = this.sql();
    const rows = await sql.rows<{ externalId: string | null; direction: string }>(
      `SELECT "externalId", direction FROM messages
        WHERE "conversationId" = ? AND channel = ? AND private = ? AND "externalId" IS NOT NULL AND id <> ?
        ORDER BY "createdAt" DESC LIMIT ${THREAD_IDS}`,
      [message.conversationId, EMAIL_CHANNEL, sql.bool(false), message.id],
    );
    const newestFirst = rows.flatMap((row) => (row.externalId ? [{ id: row.externalId, inbound: row.direction === 'inbound' }] : []));
    return {
      inReplyTo: (newestFirst.find((row) => row.inbound) ?? newestFirst[0])?.id,
      references: newestFirst.map((row) => row.id).reverse(),
    };
  }

  /** Files in the hub's storage go as attachments; the others are links in the text (see withLinks). */
  private async attachmentsOf(attachments: readonly Attachment[]): Promise<OutgoingAttachment[]> {
    return Promise.all(
      attachments.flatMap((attachment) => (attachment.fileKey ? [attachment.fileKey] : [])).map(async (fileKey) => {
        const file = await this.options.storage.open(fileKey);
        if (!file) throw new PermanentDeliveryError(`The attachment ${fileKey} is no longer in the hub's storage`, 'attachment_missing');
        const chunks: Buffer[] = [];
        for await (const chunk of file.stream) chunks.push(chunk as Buffer);
        return { filename: file.meta.name, contentType: file.meta.contentType, content: Buffer.concat(chunks) };
      }),
    );
  }

  private sql(): Sql {
    return new Sql(this.options.db.manager, this.options.db.engine);
  }
}

/** Attachments that are links elsewhere (an API reply's URL) are listed under the text. */
function withLinks(body: string, attachments: readonly Attachment[]): string {
  const links = attachments.filter((a) => !a.fileKey).map((a) => `${a.name ?? 'Attachment'}: ${a.url}`);
  return links.length === 0 ? body : `${body}\n\n${links.join('\n')}`.trimStart();
}
