import type { Database } from '../database';
import { events } from '../events';
import { repo, updateRow } from '../model/schemas';
import type { ChannelName, DeliveryStatus, Message } from '../model/types';
import { eventsOutboxRow, type Outbox } from '../outbox';
import { canMoveDeliveryStatus } from './delivery-status';

export interface StatusChange {
  status: DeliveryStatus;
  externalId?: string;
  reason?: string;
  metadata?: Record<string, unknown>;
}

/** Whether a status change tells anything new: a later status, or the provider's id or details. */
function changedFields(message: Message, change: StatusChange): Partial<Message> | undefined {
  const fields: Partial<Message> = {};
  if (canMoveDeliveryStatus(message.deliveryStatus, change.status)) {
    fields.deliveryStatus = change.status;
    if (change.reason !== undefined) fields.failureReason = change.reason;
  }
  if (change.externalId !== undefined && change.externalId !== message.externalId) fields.externalId = change.externalId;
  if (change.metadata && Object.entries(change.metadata).some(([key, value]) => message.metadata[key] !== value)) {
    fields.metadata = { ...message.metadata, ...change.metadata };
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}

/**
 * What happened to outbound messages, from the send itself and from providers' receipts. Receipts arrive
 * late, twice and out of order; each change that tells something new is one `message.updated` event.
 */
export class DeliveryReceipts {
  constructor(private readonly deps: { db: Database; outbox: Outbox }) {}

  /**
   * Moves a message's delivery status forward (never backwards) and tells every process. A receipt that
   * comes too late to move the status may still bring the provider's id or details, which are kept.
   */
  async applyStatus(messageId: string, change: StatusChange): Promise<Message | undefined> {
    const { db, outbox } = this.deps;
    const outcome = await db.transaction(async (manager) => {
      const message = await repo(manager, 'Message').findOneBy({ id: messageId });
      const fields = message && message.direction === 'outbound' ? changedFields(message, change) : undefined;
      if (!message || !fields) return undefined;
      const now = new Date();
      if (fields.deliveryStatus) fields.statusChangedAt = now;
      const updated: Message = { ...message, ...fields };
      await updateRow(manager, 'Message', messageId, fields);
      const rows = [eventsOutboxRow([events.messageUpdated(updated, now)], now)];
      await outbox.write(manager, rows);
      return { updated, rows };
    });
    if (!outcome) return undefined;
    void outbox.dispatch(outcome.rows);
    return outcome.updated;
  }

  /** The outbound message a provider knows by its own id, for receipts that carry only that id. */
  async findByExternalId(channel: ChannelName, externalId: string): Promise<Message | undefined> {
    return (await repo(this.deps.db.manager, 'Message').findOneBy({ channel, externalId, direction: 'outbound' })) ?? undefined;
  }
}
