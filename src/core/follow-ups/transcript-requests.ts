import { MoreThan } from 'typeorm';
import type { Actor } from '../actor';
import { recordAudit } from '../audit';
import type { Database } from '../database';
import { NotFoundError, TooManyRequestsError } from '../errors';
import { events, type DomainEvent } from '../events';
import { repo } from '../model/schemas';
import { eventsOutboxRow, type Outbox } from '../outbox';

/** A conversation's transcript goes out at most this often per hour, whoever asks (a button pressed in a loop). */
const MAX_PER_HOUR = 3;
const HOUR_MS = 3600_000;

/**
 * Asks for a conversation's transcript to be sent to the customer's `address`: a `transcript.requested`
 * event, which the channel that sends transcripts follows (its id is the request's occasion, so the
 * transcript goes out once per request). Refused while the conversation had its share this hour.
 */
export async function requestTranscript(deps: { db: Database; outbox: Outbox }, conversationId: string, address: string, actor: Actor): Promise<DomainEvent> {
  return deps.outbox.runUnit(async ({ manager, write }) => {
    const conversation = await repo(manager, 'Conversation').findOne({ where: { id: conversationId }, select: { id: true } });
    if (!conversation) throw new NotFoundError(`Conversation ${conversationId}`);
    const since = new Date(Date.now() - HOUR_MS);
    const recent = await repo(manager, 'FollowUp').find({ where: { conversationId, kind: 'transcript', createdAt: MoreThan(since) }, select: { createdAt: true }, order: { createdAt: 'ASC' } });
    const first = recent[0];
    if (recent.length >= MAX_PER_HOUR && first) {
      const retryAfterSeconds = Math.max(1, Math.ceil((first.createdAt.getTime() + HOUR_MS - Date.now()) / 1000));
      throw new TooManyRequestsError(`This conversation's transcript was sent ${recent.length} times in the last hour; try again later.`, retryAfterSeconds);
    }
    const now = new Date();
    const event = events.transcriptRequested(conversationId, address, actor.type === 'contact' ? 'visitor' : 'agent', now);
    await recordAudit(manager, actor, { action: 'transcript.requested', entityType: 'conversation', entityId: conversationId, after: { address } });
    await write([eventsOutboxRow([event], now)]);
    return event;
  });
}
