import type { Logger } from 'pino';
import type { Database } from '../database';
import { PermanentDeliveryError } from '../errors';
import type { Message } from '../model/types';
import type { ChannelCatalog } from '../channels/catalog';
import { toJson } from '../serialize';
import { readForDelivery } from './delivery-read';
import type { DeliveryReceipts, StatusChange } from './receipts';

/**
 * Sends queued outbound messages through their channel's adapter and records what happened to them.
 * Running `deliver` twice for one message sends it once: only a `queued` message is sent.
 */
export class DeliveryService {
  constructor(private readonly deps: { db: Database; receipts: DeliveryReceipts; catalog: ChannelCatalog; logger: Logger; timeoutMs: number }) {}

  async deliver(messageId: string): Promise<'sent' | 'skipped'> {
    const read = await readForDelivery(this.deps.db, messageId);
    if (read === 'skipped') return 'skipped';
    const { message, conversation, contact, identity } = read;
    const adapter = this.deps.catalog.adapterOf(conversation.channel);
    if (!adapter) throw new PermanentDeliveryError(`No adapter sends on the ${conversation.channel} channel`, 'no_adapter');
    // The customer may have opted out after the reply was queued.
    if (identity.optedOutAt) throw new PermanentDeliveryError(`The customer opted out of messages to ${identity.address}`, 'recipient_opted_out');
    this.deps.catalog.assertCarries(adapter, message);

    const receipt = await adapter.send(
      { message: toJson(message), conversation: toJson(conversation), contact: toJson(contact), identity: toJson(identity) },
      { idempotencyKey: message.id, signal: AbortSignal.timeout(this.deps.timeoutMs) },
    );
    await this.applyStatus(messageId, { status: receipt.status, externalId: receipt.externalId, metadata: receipt.metadata });
    this.deps.logger.info({ conversationId: conversation.id, messageId, channel: conversation.channel }, 'reply delivered to channel');
    return 'sent';
  }

  /** Moves a message's delivery status forward; see DeliveryReceipts. */
  async applyStatus(messageId: string, change: StatusChange): Promise<Message | undefined> {
    return this.deps.receipts.applyStatus(messageId, change);
  }
}
