import type { EntityManager } from 'typeorm';
import type { Database } from '../database';
import { events, type DomainEvent } from '../events';
import { lockRow, repo, updateRow } from '../model/schemas';
import type { Attachment, Message } from '../model/types';
import { eventsOutboxRow, type Outbox } from '../outbox';
import { messagePreview } from './preview';

export interface ArrivedAttachments {
  attachments: readonly Attachment[];
  /** Merged into the message's metadata (what is still pending, what could not be kept). */
  metadata?: Record<string, unknown>;
}

/**
 * Adds attachments that arrive after their message was stored (an MMS's media, fetched in a job once
 * the webhook was answered). An attachment the message has already (same file) is not added again, so a
 * retried job adds each once; whatever changed is one `message.updated` event, and nothing new is no
 * event. Undefined when the message is gone.
 */
export async function addAttachments(deps: { db: Database; outbox: Outbox }, messageId: string, arrived: ArrivedAttachments): Promise<Message | undefined> {
  const { db, outbox } = deps;
  return outbox.runUnit(async ({ manager, write }) => {
    // Locked on PostgreSQL: two jobs adding at once could each overwrite the other's attachments.
    const message = await lockRow(manager, db.engine, 'Message', messageId);
    if (!message) return undefined;
    const known = new Set(message.attachments.map(identityOf));
    const added = arrived.attachments.filter((attachment) => !known.has(identityOf(attachment)));
    const metadata = { ...message.metadata, ...arrived.metadata };
    if (added.length === 0 && JSON.stringify(metadata) === JSON.stringify(message.metadata)) return message;

    const now = new Date();
    const updated: Message = { ...message, attachments: [...message.attachments, ...added], metadata };
    await updateRow(manager, 'Message', messageId, { attachments: updated.attachments, metadata });
    const happened: DomainEvent[] = [events.messageUpdated(updated, now), ...(await showInPreview(manager, message, updated, now))];
    await write([eventsOutboxRow(happened, now)]);
    return updated;
  });
}

function identityOf(attachment: Attachment): string {
  return attachment.fileKey ?? attachment.url;
}

/**
 * A message without text previewed as nothing until its first attachment came; if it is still its
 * conversation's latest, the conversation lists show that attachment now.
 */
async function showInPreview(manager: EntityManager, before: Message, after: Message, now: Date): Promise<DomainEvent[]> {
  const preview = messagePreview(after.body, after.attachments);
  if (preview === messagePreview(before.body, before.attachments)) return [];
  const conversation = await repo(manager, 'Conversation').findOneBy({ id: after.conversationId });
  if (!conversation || conversation.lastMessageAt.getTime() !== after.createdAt.getTime()) return [];
  await updateRow(manager, 'Conversation', conversation.id, { lastMessagePreview: preview });
  return [events.conversationUpdated({ ...conversation, lastMessagePreview: preview }, ['lastMessagePreview'], now)];
}
