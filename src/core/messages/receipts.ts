import type { Actor } from '../actor';
import { auditInsert, valuesBefore } from '../audit';
import { Database } from '../database';
import { events } from '../events';
import { entityOf, selectList, updateOf, type Row } from '../model/raw-rows';
import { repo } from '../model/schemas';
import type { ChannelName, DeliveryStatus, Message } from '../model/types';
import { eventsOutboxRow, type Outbox } from '../outbox';
import { Sql } from '../sql';
import { canMoveDeliveryStatus } from './delivery-status';

export interface StatusChange {
  status: DeliveryStatus;
  externalId?: string;
  reason?: string;
  metadata?: Record<string, unknown>;
}

/** Who reported a change, for the audit log: written in the change's own transaction, only when it changed. */
export interface ReportedBy {
  actor: Actor;
  action: string;
}

const MESSAGE_SELECT = selectList('m', 'Message');

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
  async applyStatus(messageId: string, change: StatusChange, reportedBy?: ReportedBy): Promise<Message | undefined> {
    try {
      return await this.apply(messageId, change, reportedBy);
    } catch (error) {
      // Another message of the channel holds this provider id already (an integration that answers the same
      // id twice): the id is not recorded, the status it came with still counts.
      if (change.externalId === undefined || !Database.isUniqueViolation(error)) throw error;
      return this.apply(messageId, { ...change, externalId: undefined }, reportedBy);
    }
  }

  private async apply(messageId: string, change: StatusChange, reportedBy: ReportedBy | undefined): Promise<Message | undefined> {
    const { db, outbox } = this.deps;
    return outbox.runUnit(async ({ manager, write }) => {
      const sql = new Sql(manager, db.engine);
      // Locked on PostgreSQL: two receipts read at once could both move the status, or move it backwards.
      const [row] = await sql.rows<Row>(`SELECT ${MESSAGE_SELECT} FROM messages m WHERE m.id = ?${db.engine === 'postgres' ? ' FOR UPDATE' : ''}`, [messageId]);
      const message = row ? entityOf(sql, row, 'm', 'Message') : undefined;
      const changes = message && message.direction === 'outbound' ? changedFields(message, change) : undefined;
      if (!message || !changes) return undefined;
      const now = new Date();
      const fields: Partial<Message> = changes.deliveryStatus ? { ...changes, statusChangedAt: now } : changes;
      const updated: Message = { ...message, ...fields };
      const audit = reportedBy
        ? [auditInsert(sql, reportedBy.actor, { action: reportedBy.action, entityType: 'message', entityId: messageId, before: valuesBefore(message, changes), after: { ...changes } })]
        : [];
      await sql.runAll([updateOf(sql, 'Message', messageId, fields), ...audit]);
      await write([eventsOutboxRow([events.messageUpdated(updated, now)], now)]);
      return updated;
    }, { key: messageId });
  }

  /** The outbound message a provider knows by its own id, for receipts that carry only that id. */
  async findByExternalId(channel: ChannelName, externalId: string): Promise<Message | undefined> {
    return (await repo(this.deps.db.manager, 'Message').findOneBy({ channel, externalId, direction: 'outbound' })) ?? undefined;
  }
}
