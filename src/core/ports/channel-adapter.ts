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

/** What a channel can carry, read by core and the workers instead of checks of channel names. */
export interface ChannelCapabilities {
  /** Files go out with a message (as the channel's own media, or as signed links). */
  attachments: boolean;
  /** The longest text one message may have on the channel; longer replies are refused before they are stored. */
  maxTextLength?: number;
  /** How the hub learns what became of a sent message: the provider pushes receipts, or nothing follows the send. */
  receipts: 'push' | 'none';
  /** The channel threads messages itself (an email's In-Reply-To), so core may be handed a conversation to continue. */
  threads: boolean;
  /**
   * An identity's address on the channel is the customer's own phone number or email address, proven by
   * their writing from it: what contacts' duplicates are matched on.
   */
  addresses?: 'phone' | 'email';
}

/**
 * Sends messages on one channel. `send` throws PermanentDeliveryError (never retried),
 * RetryableDeliveryError (retried, after `retryAfterMs` when given) or RateLimitedError.
 */
export interface ChannelAdapter {
  readonly channel: ChannelName;
  readonly capabilities: ChannelCapabilities;
  send(delivery: OutboundDelivery, context: SendContext): Promise<SendReceipt>;
}
