import { newId } from './ids';
import { toJson, type Json } from './serialize';
import type { Contact, Conversation, Message, Rating } from './model/types';

export const EVENT_TYPES = [
  'conversation.created',
  'conversation.updated',
  'conversation.assigned',
  'conversation.resolved',
  'message.created',
  'message.updated',
  'transcript.requested',
  'rating.created',
  'contact.created',
  'contact.updated',
  'contact.merged',
  'webhook.disabled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Events about no one conversation: their `conversationId` is null. */
const UNSCOPED_TYPES = ['contact.created', 'contact.updated', 'contact.merged', 'webhook.disabled'] as const satisfies readonly EventType[];
type UnscopedType = (typeof UNSCOPED_TYPES)[number];

export function isConversationEvent(type: EventType): boolean {
  return !(UNSCOPED_TYPES as readonly EventType[]).includes(type);
}

/** An outgoing webhook endpoint as events about it name it (never its secret). */
export interface WebhookEndpointRef {
  id: string;
  url: string;
  description: string | null;
}

interface EventData {
  'conversation.created': { conversation: Json<Conversation> };
  /** Every change, including the ones that also have an event of their own (assigned, resolved). */
  'conversation.updated': { conversation: Json<Conversation>; changes: string[] };
  /** The assignee changed (null: unassigned). */
  'conversation.assigned': { conversation: Json<Conversation>; previousAssigneeId: string | null };
  'conversation.resolved': { conversation: Json<Conversation> };
  'message.created': { message: Json<Message> };
  'message.updated': { message: Json<Message> };
  /** Someone asked for the conversation's transcript to be sent to `address` (the customer's). */
  'transcript.requested': { address: string; requestedBy: TranscriptRequester };
  'rating.created': { rating: Json<Rating> };
  'contact.created': { contact: Json<Contact> };
  'contact.updated': { contact: Json<Contact>; changes: string[] };
  /** `mergedContactId` was merged into `contact` (its identities, conversations and attributes); `mergeId` undoes it. */
  'contact.merged': { contact: Json<Contact>; mergedContactId: string; mergeId: string };
  /** An outgoing webhook endpoint was turned off by the hub: its receiver answered 410, or failed for days. */
  'webhook.disabled': { webhook: WebhookEndpointRef; reason: string };
}

/** Who asked for a transcript: the customer (the widget's button) or an agent for them. */
export type TranscriptRequester = 'visitor' | 'agent';

/**
 * Something that happened, as every process and client sees it: to a conversation (`conversationId`),
 * or to a contact or the hub itself (`conversationId` null).
 */
export type DomainEvent = {
  [T in EventType]: { id: string; type: T; occurredAt: string; conversationId: T extends UnscopedType ? null : string; data: EventData[T] };
}[EventType];

export type ConversationEvent = Exclude<DomainEvent, { conversationId: null }>;

/** An event as the bus delivers it: with its position in the bus's retained stream. */
export type StreamedEvent = DomainEvent & { streamId: string };

export type EventHandler = (event: StreamedEvent) => void;

/**
 * Carries domain events to every process, in one order, and keeps them for a while so that a client
 * that reconnects can catch up. Publishing an event id a second time is a no-op.
 */
export interface EventBus {
  publish(event: DomainEvent): Promise<'published' | 'duplicate'>;
  /** Publishes events in order; returns how many were new. */
  publishAll(events: readonly DomainEvent[]): Promise<number>;
  subscribe(handler: EventHandler): Promise<() => Promise<void>>;
  /** Events after a stream id, oldest first; `expired` when some of them are no longer kept. */
  readSince(streamId: string): Promise<StreamedEvent[] | 'expired'>;
}

function createEvent<T extends EventType>(type: T, conversationId: T extends UnscopedType ? null : string, data: EventData[T], at: Date): DomainEvent {
  return { id: newId(), type, conversationId, occurredAt: at.toISOString(), data } as DomainEvent;
}

export const events = {
  conversationCreated: (conversation: Conversation, at: Date) => createEvent('conversation.created', conversation.id, { conversation: toJson(conversation) }, at),
  conversationUpdated: (conversation: Conversation, changes: string[], at: Date) =>
    createEvent('conversation.updated', conversation.id, { conversation: toJson(conversation), changes }, at),
  messageCreated: (message: Message, at: Date) => createEvent('message.created', message.conversationId, { message: toJson(message) }, at),
  messageUpdated: (message: Message, at: Date) => createEvent('message.updated', message.conversationId, { message: toJson(message) }, at),
  transcriptRequested: (conversationId: string, address: string, requestedBy: TranscriptRequester, at: Date) =>
    createEvent('transcript.requested', conversationId, { address, requestedBy }, at),
  conversationAssigned: (conversation: Conversation, previousAssigneeId: string | null, at: Date) =>
    createEvent('conversation.assigned', conversation.id, { conversation: toJson(conversation), previousAssigneeId }, at),
  conversationResolved: (conversation: Conversation, at: Date) => createEvent('conversation.resolved', conversation.id, { conversation: toJson(conversation) }, at),
  ratingCreated: (rating: Rating, at: Date) => createEvent('rating.created', rating.conversationId, { rating: toJson(rating) }, at),
  contactCreated: (contact: Contact, at: Date) => createEvent('contact.created', null, { contact: toJson(contact) }, at),
  contactUpdated: (contact: Contact, changes: string[], at: Date) => createEvent('contact.updated', null, { contact: toJson(contact), changes }, at),
  contactMerged: (contact: Contact, mergedContactId: string, mergeId: string, at: Date) => createEvent('contact.merged', null, { contact: toJson(contact), mergedContactId, mergeId }, at),
  webhookDisabled: (webhook: WebhookEndpointRef, reason: string, at: Date) => createEvent('webhook.disabled', null, { webhook, reason }, at),
};
