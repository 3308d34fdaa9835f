import type { Database } from './database';
import { insertRows, repo } from './model/schemas';
import type { Attachment, ConversationMirror as MirrorRow, DeliveryStatus, MirroredMessage } from './model/types';
import { Sql } from './sql';

type ShownStatus = Omit<MirroredMessage, 'copiedFiles'>;

/** A copied message with files the copy has not dealt with yet. */
export interface FilesToCopy {
  messageId: string;
  copiedFiles: string[];
  /** Its attachments in storage that are not in copiedFiles, in the message's order. */
  pending: Attachment[];
}

/**
 * What a mirror (Slack) keeps about its copies: where each conversation's copy is, how far its messages
 * were copied, and which delivery status each copied reply shows. Mirrors call these; core keeps no
 * knowledge of what the copies look like.
 */
export class MirrorRecords {
  constructor(
    private readonly db: Database,
    private readonly target: string,
  ) {}

  async copyOf(conversationId: string): Promise<MirrorRow | undefined> {
    return (await repo(this.db.manager, 'ConversationMirror').findOneBy({ conversationId, target: this.target })) ?? undefined;
  }

  /** The conversation whose copy is the thread `threadRef` in `location`, if any. */
  async conversationOfThread(location: string, threadRef: string): Promise<string | undefined> {
    return (await repo(this.db.manager, 'ConversationMirror').findOneBy({ target: this.target, location, threadRef }))?.conversationId;
  }

  async created(conversationId: string, location: string, threadRef: string, headerState: string): Promise<MirrorRow> {
    const now = new Date();
    const row: MirrorRow = { conversationId, target: this.target, location, threadRef, headerState, cursorAt: null, cursorId: null, createdAt: now, updatedAt: now };
    await insertRows(this.db.manager, 'ConversationMirror', row);
    return row;
  }

  async headerShown(conversationId: string, headerState: string): Promise<void> {
    await repo(this.db.manager, 'ConversationMirror').update({ conversationId, target: this.target }, { headerState, updatedAt: new Date() });
  }

  /**
   * Records a copied message and moves the cursor past it, together, so a resumed sync neither skips nor
   * repeats it. A copy with a `ref` was made by the mirror, which then copies the message's files.
   */
  async messageCopied(conversationId: string, message: { id: string; createdAt: Date }, ref: string | undefined, shownStatus: DeliveryStatus | null): Promise<void> {
    await this.db.transaction(async (manager) => {
      if (ref !== undefined) await insertRows(manager, 'MirroredMessage', { messageId: message.id, target: this.target, ref, shownStatus, copiedFiles: [], createdAt: new Date() });
      await repo(manager, 'ConversationMirror').update({ conversationId, target: this.target }, { cursorAt: message.createdAt, cursorId: message.id, updatedAt: new Date() });
    });
  }

  /** A message that is in the mirror already because it was written there (an agent's reply in a Slack thread). */
  async messageWrittenThere(messageId: string, ref: string, shownStatus: DeliveryStatus): Promise<void> {
    await insertRows(this.db.manager, 'MirroredMessage', { messageId, target: this.target, ref, shownStatus, copiedFiles: null, createdAt: new Date() });
  }

  async isCopied(messageId: string): Promise<boolean> {
    return repo(this.db.manager, 'MirroredMessage').existsBy({ messageId, target: this.target });
  }

  /** Copied outbound messages whose delivery status moved since the copy last showed it. */
  async statusesToShow(conversationId: string): Promise<(ShownStatus & { deliveryStatus: DeliveryStatus; failureReason: string | null })[]> {
    const sql = new Sql(this.db.manager, this.db.engine);
    const rows = await sql.rows<ShownStatus & { deliveryStatus: DeliveryStatus; failureReason: string | null }>(
      `SELECT mm."messageId" AS "messageId", mm.target AS target, mm.ref AS ref, mm."shownStatus" AS "shownStatus", mm."createdAt" AS "createdAt",
              m."deliveryStatus" AS "deliveryStatus", m."failureReason" AS "failureReason"
         FROM mirrored_messages mm JOIN messages m ON m.id = mm."messageId"
        WHERE m."conversationId" = ? AND mm.target = ? AND m.direction = 'outbound' AND m.private = ?
          AND (mm."shownStatus" IS NULL OR mm."shownStatus" <> m."deliveryStatus")
        ORDER BY m."createdAt", m.id`,
      [conversationId, this.target, sql.bool(false)],
    );
    return rows;
  }

  /**
   * Copied messages of the conversation whose files the copy has not all dealt with: attachments that
   * arrived after the copy was made, or whose copying a failed sync left unfinished.
   */
  async filesToCopy(conversationId: string): Promise<FilesToCopy[]> {
    const sql = new Sql(this.db.manager, this.db.engine);
    const rows = await sql.rows<{ messageId: string; copiedFiles: string; attachments: string }>(
      `SELECT mm."messageId" AS "messageId", mm."copiedFiles" AS "copiedFiles", m.attachments AS attachments
         FROM mirrored_messages mm JOIN messages m ON m.id = mm."messageId"
        WHERE m."conversationId" = ? AND mm.target = ? AND mm."copiedFiles" IS NOT NULL AND m.attachments <> '[]'
        ORDER BY m."createdAt", m.id`,
      [conversationId, this.target],
    );
    return rows.flatMap((row) => {
      const copiedFiles = JSON.parse(row.copiedFiles) as string[];
      const pending = (JSON.parse(row.attachments) as Attachment[]).filter((a) => a.fileKey !== undefined && !copiedFiles.includes(a.fileKey));
      return pending.length > 0 ? [{ messageId: row.messageId, copiedFiles, pending }] : [];
    });
  }

  /** The copy of the message has dealt with these files (all of them so far, not only the new ones). */
  async filesCopied(messageId: string, copiedFiles: string[]): Promise<void> {
    await repo(this.db.manager, 'MirroredMessage').update({ messageId, target: this.target }, { copiedFiles });
  }

  async statusShown(messageId: string, status: DeliveryStatus): Promise<void> {
    await repo(this.db.manager, 'MirroredMessage').update({ messageId, target: this.target }, { shownStatus: status });
  }
}

