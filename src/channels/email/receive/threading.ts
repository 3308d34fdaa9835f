import type { Database } from '../../../core/database';
import { inList, Sql } from '../../../core/sql';
import type { HubMessageIds, Recipient, ReplyTokens } from '../addresses';
import type { ParsedEmail } from '../mail';
import { EMAIL_CHANNEL } from '../name';
import { normalizeSubject } from '../parse/subject';

/** How a mail found its conversation; logged, and kept on the message for agents wondering why. */
export type ThreadedBy = 'references' | 'reply-token' | 'subject';

export interface Thread {
  conversationId: string;
  by: ThreadedBy;
}

export interface ThreadingOptions {
  db: Database;
  messageIds: HubMessageIds;
  tokens: ReplyTokens;
  windowMs: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A thread's References can run to hundreds; the newest few are the ones that decide. */
const MAX_REFERENCES = 50;

/**
 * Which conversation a mail continues, in the issue's order: a Message-ID it replies to (In-Reply-To,
 * then References newest first) that is one of the conversation's mails; then the reply token of the
 * plus-address it was sent to; then the sender's open conversation on the same inbox with the same
 * subject, active within the window. None: the mail opens a new conversation.
 */
export class Threading {
  constructor(private readonly options: ThreadingOptions) {}

  async threadOf(mail: ParsedEmail, recipient: Recipient, sender: string, now: Date): Promise<Thread | undefined> {
    const byReference = await this.byReferences(mail);
    if (byReference) return { conversationId: byReference, by: 'references' };
    const byToken = recipient.token === undefined ? undefined : await this.byToken(recipient.token);
    if (byToken) return { conversationId: byToken, by: 'reply-token' };
    const bySubject = await this.bySubject(mail.subject, recipient.inbox, sender, now);
    return bySubject ? { conversationId: bySubject, by: 'subject' } : undefined;
  }

  private async byReferences(mail: ParsedEmail): Promise<string | undefined> {
    const ids = [...new Set([...mail.inReplyTo, ...[...mail.references].reverse()])].slice(0, MAX_REFERENCES);
    if (ids.length === 0) return undefined;
    const locals = ids.map((id) => this.options.messageIds.localOf(id)).filter((id): id is string => id !== undefined && UUID.test(id));
    const sql = this.sql();
    // Both directions named, and the channel in each branch: each branch then reads its own index (the
    // externalId one leads with channel and direction) instead of every email message of the channel.
    const found = await sql.rows<{ id: string; externalId: string | null; conversationId: string }>(
      `SELECT id, "externalId", "conversationId" FROM messages
        WHERE (channel = ? AND direction IN ('inbound', 'outbound') AND "externalId" IN (${inList(ids)}))${locals.length > 0 ? ` OR (id IN (${inList(locals)}) AND channel = ?)` : ''}`,
      [EMAIL_CHANNEL, ...ids, ...(locals.length > 0 ? [...locals, EMAIL_CHANNEL] : [])],
      { varies: true },
    );
    // The most recent reference the hub knows wins: In-Reply-To first, then References from the end.
    for (const id of ids) {
      const local = this.options.messageIds.localOf(id);
      const match = found.find((row) => row.externalId === id || (local !== undefined && row.id === local));
      if (match) return match.conversationId;
    }
    return undefined;
  }

  private async byToken(token: string): Promise<string | undefined> {
    const conversationId = this.options.tokens.conversationOf(token);
    if (!conversationId) return undefined;
    const [row] = await this.sql().rows<{ id: string }>(`SELECT id FROM conversations WHERE id = ? AND channel = ?`, [conversationId, EMAIL_CHANNEL]);
    return row?.id;
  }

  private async bySubject(subject: string, inbox: string, sender: string, now: Date): Promise<string | undefined> {
    const key = normalizeSubject(subject);
    if (key === '' || this.options.windowMs <= 0) return undefined;
    const since = new Date(now.getTime() - this.options.windowMs);
    const sql = this.sql();
    const candidates = await sql.rows<{ id: string; subject: string | null }>(
      `SELECT c.id, c.subject FROM conversations c JOIN channel_identities i ON i.id = c."identityId"
        WHERE i.channel = ? AND i.address = ? AND c."channelAddress" = ? AND c.status <> 'resolved' AND c."lastMessageAt" >= ?
        ORDER BY c."lastMessageAt" DESC LIMIT 20`,
      [EMAIL_CHANNEL, sender, inbox, sql.date(since)],
    );
    return candidates.find((c) => c.subject !== null && normalizeSubject(c.subject) === key)?.id;
  }

  private sql(): Sql {
    return new Sql(this.options.db.manager, this.options.db.engine);
  }
}
