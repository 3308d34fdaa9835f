/** The conversation model as plain types; src/core/model/schemas.ts maps them onto tables. */
import type { Json } from '../serialize';

export const CONVERSATION_STATUSES = ['open', 'pending', 'snoozed', 'resolved'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

/**
 * `received`: a customer's message; `internal`: a private note, never delivered; the rest follow an
 * outbound message from `queued` on.
 */
export const DELIVERY_STATUSES = ['received', 'internal', 'queued', 'sent', 'delivered', 'read', 'failed', 'undelivered'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export type MessageDirection = 'inbound' | 'outbound';
export type SenderKind = 'contact' | 'agent' | 'bot' | 'system';
export type AgentStatus = 'online' | 'away' | 'offline';
export type ApiKeyScope = 'read' | 'write' | 'admin';

/** A channel's name: `widget`, `sms`, `email`, `slack`, `api`, ... Core treats it as an opaque label. */
export type ChannelName = string;

export interface Attachment {
  url: string;
  contentType?: string;
  name?: string;
  size?: number;
  /** Set when the file is in the hub's own upload storage: channels hand out signed links to it. */
  fileKey?: string;
}

export interface Contact {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  attributes: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** A contact's id in another system (a CRM): one per system, and one contact per id in a system. */
export interface ContactExternalId {
  contactId: string;
  /** The other system's name: `hubspot`, `crm` (the generic CRM webhooks), ... */
  system: string;
  externalId: string;
  createdAt: Date;
}

/** What a merge moved from the merged contact to the target, so that unmerging puts back exactly that. */
export interface ContactMergeSnapshot {
  /** The merged contact as it was, attributes and all: unmerging re-creates it. */
  source: {
    id: string;
    name: string | null;
    email: string | null;
    phone: string | null;
    attributes: Record<string, unknown>;
    createdAt: string;
    updatedAt: string;
  };
  identityIds: string[];
  conversationIds: string[];
  pageViewIds: string[];
  /** Its external ids: `moved` went to the target, `dropped` lost to the target's own id for the system. */
  externalIds: { moved: Record<string, string>; dropped: Record<string, string> };
  /** Target fields the merged contact filled (the target had none), with the value given. */
  filled: { name?: string; email?: string; phone?: string };
  /** Attribute keys the target took from the merged contact (it had none of them). */
  attributesAdded: string[];
  /** Earlier merges into the merged contact, which followed it to the target. */
  followingMergeIds: string[];
}

/** One merge of a contact into another, undoable for a while (see contacts/merge.ts). */
export interface ContactMerge {
  id: string;
  targetId: string;
  sourceId: string;
  snapshot: ContactMergeSnapshot;
  createdAt: Date;
  /** When it was unmerged; null while it stands. */
  undoneAt: Date | null;
}

export interface ChannelIdentity {
  id: string;
  contactId: string;
  channel: ChannelName;
  address: string;
  /** When the customer asked not to be messaged on this address (SMS STOP); replies are refused. */
  optedOutAt: Date | null;
  createdAt: Date;
}

export interface Conversation {
  id: string;
  contactId: string;
  channel: ChannelName;
  identityId: string;
  /**
   * The business's own address the customer wrote to (the Twilio number, the support mailbox): replies
   * go out from it. Null where a channel has a single address.
   */
  channelAddress: string | null;
  /** What the conversation is about, where the channel has subjects (an email's Subject). */
  subject: string | null;
  status: ConversationStatus;
  assigneeId: string | null;
  teamId: string | null;
  priority: Priority;
  tags: string[];
  snoozedUntil: Date | null;
  firstResponseAt: Date | null;
  resolvedAt: Date | null;
  /** When an agent last read the conversation; customer messages after it are unread. */
  agentLastSeenAt: Date | null;
  lastMessageAt: Date;
  lastMessagePreview: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Message {
  id: string;
  conversationId: string;
  channel: ChannelName;
  direction: MessageDirection;
  senderKind: SenderKind;
  senderId: string | null;
  body: string;
  attachments: Attachment[];
  externalId: string | null;
  deliveryStatus: DeliveryStatus;
  failureReason: string | null;
  statusChangedAt: Date | null;
  private: boolean;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export interface Agent {
  id: string;
  name: string;
  email: string;
  status: AgentStatus;
  capacity: number;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * What the hub sends a customer by itself once their conversation is resolved; a team's setting wins
 * over its website's, null leaves the choice to the next in line (see afterResolveSettings).
 */
export interface AfterResolveSettings {
  /** Hours after resolution until the follow-up asking for a rating (fractions allowed); 0: none. */
  followUpDelayHours: number | null;
  /** Send the customer the transcript when the conversation is resolved. */
  transcriptOnResolve: boolean | null;
}

export interface Team extends AfterResolveSettings {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * An agent's own account on a channel where agents work (their user id there), which that channel maps
 * to the agent on every event: one account per agent and channel, one agent per account.
 */
export interface AgentAccount {
  channel: ChannelName;
  accountId: string;
  agentId: string;
}

/** Where a channel keeps a team's conversations (a channel of a chat tool); teams without one get the channel's default. */
export interface TeamLocation {
  teamId: string;
  channel: ChannelName;
  location: string;
}

/** One of the business's addresses on a channel (a Twilio number, a mailbox) and the team it belongs to. */
export interface Inbox {
  id: string;
  channel: ChannelName;
  address: string;
  name: string | null;
  teamId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** An agent's membership of a team: the team's websites show "online" while one of its agents is. */
export interface TeamMember {
  teamId: string;
  agentId: string;
  createdAt: Date;
}

export type WebsitePosition = 'left' | 'right';
export type WebsiteLocale = 'en' | 'fr';

/** A site that embeds the chat widget: its public key, the page origins allowed to use it, and its look. */
export interface Website extends AfterResolveSettings {
  id: string;
  /** Public: written in the script tag (`data-website`). */
  key: string;
  name: string;
  /** Page origins (`https://shop.example.com`, `https://*.example.com`) allowed to use the widget. */
  allowedOrigins: string[];
  /** `#rrggbb`. */
  color: string;
  greeting: string | null;
  /** Shown when no agent of the team is online, with the offline form. */
  awayMessage: string | null;
  position: WebsitePosition;
  /** Null: the widget follows the page's and the browser's language. */
  locale: WebsiteLocale | null;
  teamId: string | null;
  /** Hex; signs visitors' user ids for `identify` (HMAC-SHA256). Known only to the hub and the site's backend. */
  identitySecret: string;
  /** `identify` without a valid hash is refused. */
  requireVerifiedIdentity: boolean;
  /** Ask for a name and an email before the first message. */
  preChatForm: boolean;
  recordPageViews: boolean;
  /** Page views keep their query strings (off by default: they often carry tokens and personal data). */
  keepQueryStrings: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A page a widget visitor saw, and for how long. */
export interface PageView {
  id: string;
  contactId: string;
  websiteId: string;
  conversationId: string | null;
  url: string;
  title: string | null;
  referrer: string | null;
  viewedAt: Date;
  /** Time on the page, reported when the visitor leaves it; null while unknown. */
  durationSeconds: number | null;
  createdAt: Date;
}

/** The customer's rating of a resolved conversation: one per conversation, changed by rating again. */
export interface Rating {
  id: string;
  conversationId: string;
  contactId: string;
  /** 1 to 5. */
  score: number;
  comment: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const FOLLOW_UP_KINDS = ['follow_up', 'transcript'] as const;
/** `follow_up`: the question how we did, some time after resolution; `transcript`: the conversation itself. */
export type FollowUpKind = (typeof FOLLOW_UP_KINDS)[number];

/**
 * `scheduled` until its time, `sending` while it goes out (found so later, it was cut off mid-send and is
 * failed rather than sent again), then `sent`, `cancelled` (the customer wrote again, the conversation
 * reopened, the address unsubscribed) or `failed`.
 */
export const FOLLOW_UP_STATUSES = ['scheduled', 'sending', 'sent', 'cancelled', 'failed'] as const;
export type FollowUpStatus = (typeof FOLLOW_UP_STATUSES)[number];

/** Something the hub sends a customer by itself about a conversation, at a time of its own. */
export interface FollowUp {
  id: string;
  conversationId: string;
  /** The channel that sends it, to `address`. */
  channel: ChannelName;
  kind: FollowUpKind;
  /**
   * What it is for, unique per conversation and kind, so one occasion never sends twice: the
   * resolution's time (ISO 8601) for automatic ones, the request's event id for a customer's request.
   */
  occasion: string;
  /** Where it goes (the customer's address on the channel that sends it). */
  address: string;
  status: FollowUpStatus;
  dueAt: Date;
  sentAt: Date | null;
  failureReason: string | null;
  createdAt: Date;
}

/** An address that asked to get nothing the hub sends by itself on a channel; stored lower case. */
export interface Unsubscribe {
  channel: ChannelName;
  address: string;
  createdAt: Date;
}

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the key, shown in listings so a key can be recognized without storing it. */
  prefix: string;
  /** SHA-256 of the whole key, hex. */
  hash: string;
  scopes: ApiKeyScope[];
  agentId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Work to hand to a queue once the transaction that wrote it has committed. */
export interface OutboxEvent {
  id: string;
  queue: string;
  name: string;
  payload: unknown;
  conversationId: string | null;
  /** For work that must wait: the job is delayed until then. */
  runAt: Date | null;
  createdAt: Date;
}

/** The first answer to a request with an Idempotency-Key, replayed to its retries. */
export interface IdempotencyRecord {
  id: string;
  apiKeyId: string;
  key: string;
  /** SHA-256 of the request (method, path, body): a retry with another body is a conflict. */
  requestHash: string;
  /** The message the first request stored, as it was then: every retry is answered with this same copy. */
  result: Json<Message>;
  createdAt: Date;
}

/**
 * A conversation's copy in a place where agents work (its Slack thread): where it is, what its header
 * last showed, and how far its messages have been copied, so a copy job can resume where one stopped.
 */
export interface ConversationMirror {
  conversationId: string;
  /** Which mirror: `slack`. */
  target: string;
  /** Where the copy lives (the Slack channel id). */
  location: string;
  /** The copy's own id there (the thread's parent message ts). */
  threadRef: string;
  /** A digest of what the header shows, to update it only when that changes. */
  headerState: string;
  /** The last message copied, by (createdAt, id). */
  cursorAt: Date | null;
  cursorId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A received message exactly as its channel got it (an email's raw MIME), kept for agents beside the
 * normalized message: written in the message's transaction, so it is there whenever the message is.
 */
export interface MessageOriginal {
  messageId: string;
  contentType: string;
  content: Buffer;
  createdAt: Date;
}

/** One message's copy in a mirror, and the delivery status the copy shows. */
export interface MirroredMessage {
  messageId: string;
  target: string;
  ref: string;
  shownStatus: string | null;
  /**
   * File keys of the message's attachments the copy has dealt with (put there, or found gone), so files
   * that arrive later follow once each; null when the mirror does not copy this message's files.
   */
  copiedFiles: string[] | null;
  createdAt: Date;
}

/** A random secret the hub made for itself (e.g. to sign file links), shared by every process. */
export interface HubSecret {
  name: string;
  value: string;
  createdAt: Date;
}

export interface AuditEntry {
  id: string;
  actorType: 'api_key' | 'agent' | 'system' | 'cli' | 'contact';
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  createdAt: Date;
}

/** An outgoing webhook endpoint: where the hub POSTs the events it wants, signed per Standard Webhooks. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  /** Event types, or `['*']` for all. */
  events: string[];
  enabled: boolean;
  /** `whsec_` and base64; answered once, at creation or rotation. */
  secret: string;
  /** The secret before the last rotation, still signing beside the new one until `previousSecretExpiresAt`. */
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  /** When deliveries started failing without a success since; cleared by the next success. */
  failingSince: Date | null;
  disabledAt: Date | null;
  /** Why the hub disabled it (410 Gone, failing for days); null when enabled or disabled by an admin. */
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One try of a delivery, as the delivery log shows it. */
export interface WebhookAttempt {
  at: string;
  /** The receiver's status; null when no answer came (network error, timeout, refused address). */
  statusCode: number | null;
  latencyMs: number;
  /** The first 1 KB of the answer, or what went wrong when there was none. */
  response: string;
}

/** One event for one endpoint: its exact body, its attempts and what became of it. */
export interface WebhookDelivery {
  id: string;
  endpointId: string;
  /** The event's id: the `webhook-id` of every attempt and redelivery. */
  eventId: string;
  eventType: string;
  /** Deliveries with the same key go out one after another, in (orderAt, orderIndex) order: a conversation's id, or the event's own. */
  orderKey: string;
  orderAt: Date;
  orderIndex: number;
  /** The JSON sent, byte for byte what is signed. */
  body: string;
  status: WebhookDeliveryStatus;
  attempts: WebhookAttempt[];
  attemptCount: number;
  /** The tries made before the last redelivery: the retry schedule starts again after them. */
  retriesFrom: number;
  /** The attempt job that claimed the latest try: it alone records the result, and may send again after a crash. */
  claimToken: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/**
 * What became of an event a CRM sent the hub: `pending` until its job ran, then `processed`, `ignored`
 * (an event type or a property the hub does not sync, or nothing to apply it to) or `failed` (refused for good).
 */
export const CRM_INBOUND_STATUSES = ['pending', 'processed', 'ignored', 'failed'] as const;
export type CrmInboundStatus = (typeof CRM_INBOUND_STATUSES)[number];

/**
 * One event a CRM's webhook delivered, kept by its own id so that a redelivery is recognized and changes
 * nothing, with what its processing did (or why it did nothing).
 */
export interface CrmInboundEvent {
  id: string;
  /** Which CRM webhook it came through (`generic`, ...). */
  provider: string;
  /** The CRM's id of the event: unique per provider. */
  eventId: string;
  type: string;
  /** The event as received (its data), read by the job that applies it. */
  payload: unknown;
  /** The job (its outbox row id) that applies it with the other events of its request, in their order. */
  jobId: string;
  /** Its place among the events of its request: they are applied in this order. */
  position: number;
  status: CrmInboundStatus;
  /** What processing did, or why it did nothing or failed. */
  outcome: string | null;
  /** The contact it was applied to, once known. */
  contactId: string | null;
  receivedAt: Date;
  processedAt: Date | null;
}
