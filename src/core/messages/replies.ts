import type { Actor } from '../actor';
import { recordAudit } from '../audit';
import { Database } from '../database';
import { events } from '../events';
import { newId } from '../ids';
import { rememberIdempotent, replayIdempotent, type IdempotentRequest, type StoredResponse } from '../idempotency';
import { insertRows, repo } from '../model/schemas';
import type { Attachment, Message } from '../model/types';
import { deliveryOutboxRow, eventsOutboxRow, type Outbox } from '../outbox';
import { toJson } from '../serialize';
import { lockConversation } from '../conversations/update';
import { messagePreview } from './preview';

export interface ReplyInput {
  body: string;
  /** A private note: stored and shown to agents, never sent to the customer. */
  private: boolean;
  attachments: Attachment[];
}

export interface ReplyResult extends StoredResponse {
  /** True when this is the stored answer to an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

const MAX_ATTEMPTS = 4;

/**
 * An agent's reply or private note. The message is stored as `queued` (or `internal` for a note) with
 * a delivery job in the same transaction; the first reply sets the conversation's first-response time.
 */
export async function postReply(
  deps: { db: Database; outbox: Outbox },
  conversationId: string,
  input: ReplyInput,
  actor: Actor,
  idempotency?: IdempotentRequest,
): Promise<ReplyResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptReply(deps, conversationId, input, actor, idempotency);
    } catch (error) {
      // Concurrent retries of one Idempotency-Key: the loser finds the winner's stored response.
      if (!idempotency || !Database.isUniqueViolation(error) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

async function attemptReply(
  { db, outbox }: { db: Database; outbox: Outbox },
  conversationId: string,
  input: ReplyInput,
  actor: Actor,
  idempotency: IdempotentRequest | undefined,
): Promise<ReplyResult> {
  const outcome = await db.transaction(async (manager) => {
    if (idempotency) {
      const stored = await replayIdempotent(manager, idempotency);
      if (stored) return { response: stored, replayed: true, rows: [] };
    }
    const conversation = await lockConversation(manager, db, conversationId);
    const now = new Date();
    const message: Message = {
      id: newId(),
      conversationId,
      channel: conversation.channel,
      direction: 'outbound',
      senderKind: 'agent',
      senderId: actor.agentId,
      body: input.body,
      attachments: input.attachments,
      externalId: null,
      deliveryStatus: input.private ? 'internal' : 'queued',
      failureReason: null,
      statusChangedAt: now,
      private: input.private,
      metadata: actor.type === 'api_key' ? { apiKeyId: actor.id } : {},
      createdAt: now,
    };
    await insertRows(manager, 'Message', message);
    await recordAudit(manager, actor, {
      action: input.private ? 'note.created' : 'reply.created',
      entityType: 'message',
      entityId: message.id,
      after: { conversationId, private: input.private, attachments: input.attachments.length },
    });

    const firstResponse = !input.private && conversation.firstResponseAt === null;
    const changes = { lastMessageAt: now, lastMessagePreview: messagePreview(input.body, input.attachments), updatedAt: now, ...(firstResponse ? { firstResponseAt: now } : {}) };
    await repo(manager, 'Conversation').update({ id: conversationId }, changes);

    const happened = [events.messageCreated(message, now)];
    if (firstResponse) happened.push(events.conversationUpdated({ ...conversation, ...changes }, ['firstResponseAt'], now));
    const rows = [eventsOutboxRow(happened, now)];
    if (!input.private) rows.push(deliveryOutboxRow({ messageId: message.id, conversationId }, now));
    await outbox.write(manager, rows);

    const response = { status: 201, body: toJson(message) };
    if (idempotency) await rememberIdempotent(manager, idempotency, response);
    return { response, replayed: false, rows };
  });
  void outbox.dispatch(outcome.rows);
  return { ...outcome.response, replayed: outcome.replayed };
}
