import { cancelFollowUps, scheduleFollowUps, scheduleOnResolve } from '../../../core/follow-ups/follow-ups';
import { isUnsubscribed } from '../../../core/follow-ups/unsubscribes';
import type { DomainEvent } from '../../../core/events';
import type { EventSubscriber } from '../../../core/ports/event-subscriber';
import { customerAddress, type FollowUpContext } from './deps';

/**
 * Follows conversations for what the hub mails by itself: a resolution schedules the follow-up (and the
 * transcript, where the team or website wants it); a reopening cancels the follow-up still waiting (a
 * customer's new message cancels it as it is stored: see followUpsOfContactCancel); a request for the
 * transcript schedules it at once. Each is idempotent on the event: an occasion schedules once.
 */
export function followUpSubscriber(context: FollowUpContext): EventSubscriber {
  const deps = { db: context.db, outbox: context.outbox };

  async function resolved(event: Extract<DomainEvent, { type: 'conversation.updated' }>): Promise<void> {
    const { conversation } = event.data;
    if (!conversation.resolvedAt) return;
    const address = await customerAddress(context, conversation);
    if (!address || (await isUnsubscribed(context.db, context.sender.channel, address))) return;
    const scheduled = await scheduleOnResolve(deps, context.sender, { conversationId: conversation.id, resolvedAt: conversation.resolvedAt, address }, context.config.followUpDelayHours);
    for (const followUp of scheduled) context.logger.info({ conversationId: conversation.id, followUpId: followUp.id, kind: followUp.kind, dueAt: followUp.dueAt }, 'follow-up scheduled');
  }

  return {
    name: 'email-follow-ups',
    events: ['conversation.updated', 'transcript.requested'],
    async handle(event) {
      switch (event.type) {
        case 'conversation.updated': {
          if (!event.data.changes.includes('status')) return;
          if (event.data.conversation.status === 'resolved') await resolved(event);
          else await cancelFollowUps(context.db, event.conversationId, new Date(event.occurredAt));
          return;
        }
        case 'transcript.requested': {
          const plan = { kind: 'transcript' as const, occasion: event.id, address: event.data.address, dueAt: new Date() };
          await scheduleFollowUps(deps, context.sender, event.conversationId, [plan]);
          return;
        }
        default:
          return;
      }
    },
  };
}
