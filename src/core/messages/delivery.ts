import type { Logger } from 'pino';
import type { Database } from '../database';
import { PermanentDeliveryError } from '../errors';
import { events } from '../events';
import { repo } from '../model/schemas';
import type { ChannelName, DeliveryStatus, Message } from '../model/types';
import { eventsOutboxRow, type Outbox } from '../outbox';
import type { ChannelAdapter } from '../ports/channel-adapter';
import { toJson } from '../serialize';
import { canMoveDeliveryStatus } from './delivery-status';

export interface StatusChange {
  status: DeliveryStatus;
  externalId?: string;
  reason?: string;
}

/**
 * Sends queued outbound messages through their channel's adapter and records what happened to them.
 * Running `deliver` twice for one message sends it once: only a `queued` message is sent.
 */
export class DeliveryService {
  private readonly adapters: ReadonlyMap<ChannelName, ChannelAdapter>;

  constructor(
    private readonly deps: { db: Database; outbox: Outbox; logger: Logger; timeoutMs: number },
    adapters: readonly ChannelAdapter[],
  ) {
    this.adapters = new Map(adapters.map((adapter) => [adapter.channel, adapter]));
  }

  async deliver(messageId: string): Promise<'sent' | 'skipped'> {
    const manager = this.deps.db.manager;
    const message = await repo(manager, 'Message').findOneBy({ id: messageId });
    if (message?.deliveryStatus !== 'queued') return 'skipped';
    const conversation = await repo(manager, 'Conversation').findOneByOrFail({ id: message.conversationId });
    const [contact, identity] = await Promise.all([
      repo(manager, 'Contact').findOneByOrFail({ id: conversation.contactId }),
      repo(manager, 'ChannelIdentity').findOneByOrFail({ id: conversation.identityId }),
    ]);
    const adapter = this.adapters.get(conversation.channel);
    if (!adapter) throw new PermanentDeliveryError(`No adapter sends on the ${conversation.channel} channel`, 'no_adapter');

    const receipt = await adapter.send(
      { message: toJson(message), conversation: toJson(conversation), contact: toJson(contact), identity: toJson(identity) },
      { idempotencyKey: message.id, signal: AbortSignal.timeout(this.deps.timeoutMs) },
    );
    await this.applyStatus(messageId, { status: receipt.status, externalId: receipt.externalId });
    this.deps.logger.info({ conversationId: conversation.id, messageId, channel: conversation.channel }, 'reply delivered to channel');
    return 'sent';
  }

  /** Moves a message's delivery status forward (never backwards) and tells every process. */
  async applyStatus(messageId: string, change: StatusChange): Promise<Message | undefined> {
    const { db, outbox } = this.deps;
    const outcome = await db.transaction(async (manager) => {
      const message = await repo(manager, 'Message').findOneBy({ id: messageId });
      if (!message || !canMoveDeliveryStatus(message.deliveryStatus, change.status)) return undefined;
      const now = new Date();
      const updated: Message = {
        ...message,
        deliveryStatus: change.status,
        statusChangedAt: now,
        externalId: change.externalId ?? message.externalId,
        failureReason: change.reason ?? message.failureReason,
      };
      await repo(manager, 'Message').update(
        { id: messageId },
        { deliveryStatus: updated.deliveryStatus, statusChangedAt: now, externalId: updated.externalId, failureReason: updated.failureReason },
      );
      const rows = [eventsOutboxRow([events.messageUpdated(updated, now)], now)];
      await outbox.write(manager, rows);
      return { updated, rows };
    });
    if (!outcome) return undefined;
    void outbox.dispatch(outcome.rows);
    return outcome.updated;
  }
}
