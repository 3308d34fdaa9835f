import type { Json } from '../serialize';
import type { ChannelIdentity, ChannelName, Contact, Conversation, Message } from '../model/types';

/** Everything a channel needs to send one outbound message. */
export interface OutboundDelivery {
  message: Json<Message>;
  conversation: Json<Conversation>;
  contact: Json<Contact>;
  /** The customer's address on the channel (phone number, email, visitor id, ...). */
  identity: Json<ChannelIdentity>;
}

export interface SendContext {
  /** Stable across retries of the same message, for providers that deduplicate on it. */
  idempotencyKey: string;
  signal: AbortSignal;
}

export interface SendReceipt {
  /** The provider's id of the sent message, matched later by delivery receipts. */
  externalId?: string;
  status: 'sent' | 'delivered';
  /** What the provider told about the message (e.g. SMS segments), merged into its metadata. */
  metadata?: Record<string, unknown>;
}

/**
 * Sends messages on one channel. `send` throws PermanentDeliveryError (never retried),
 * RetryableDeliveryError (retried, after `retryAfterMs` when given) or RateLimitedError.
 */
export interface ChannelAdapter {
  readonly channel: ChannelName;
  send(delivery: OutboundDelivery, context: SendContext): Promise<SendReceipt>;
}
