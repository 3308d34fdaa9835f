import type { Database } from '../database';
import { events } from '../events';
import { newId } from '../ids';
import type { Conversation, Message } from '../model/types';
import { eventsOutboxRow, type Unit } from '../outbox';
import { Sql } from '../sql';
import { insertMessage } from './store';

/**
 * A line the hub writes into a conversation for agents ("Transcript sent to a@b"): a private note from
 * the system, so it never goes out on the customer's channel and no transcript shows it, but agents see
 * it in the messages and the event stream. It is no activity of the conversation's: its time and
 * preview stay as they were.
 */
export async function addSystemNote(unit: Unit, db: Database, conversation: Pick<Conversation, 'id' | 'channel'>, body: string, metadata: Record<string, unknown>): Promise<Message> {
  const now = new Date();
  const note: Message = {
    id: newId(),
    conversationId: conversation.id,
    channel: conversation.channel,
    direction: 'outbound',
    senderKind: 'system',
    senderId: null,
    body,
    attachments: [],
    externalId: null,
    deliveryStatus: 'internal',
    failureReason: null,
    statusChangedAt: now,
    private: true,
    metadata,
    createdAt: now,
  };
  await insertMessage(new Sql(unit.manager, db.engine), note);
  await unit.write([eventsOutboxRow([events.messageCreated(note, now)], now)]);
  return note;
}
