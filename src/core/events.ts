import { newId } from './ids';
import { toJson, type Json } from './serialize';
import type { Conversation, Message } from './model/types';

export const EVENT_TYPES = ['conversation.created', 'conversation.updated', 'message.created', 'message.updated', 'transcript.requested'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

interface EventData {
  'conversation.created': { conversation: Json<Conversation> };
  'conversation.updated': { conversation: Json<Conversation>; changes: string[] };
  'message.created': { message: Json<Message> };
  'message.updated': { message: Json<Message> };
  /** Someone asked for the conversation's transcript to be sent to `address` (the customer's). */
  'transcript.requested': { address: string; requestedBy: TranscriptRequester };
}

/** Who asked for a transcript: the customer (the widget's button) or an agent for them. */
export type TranscriptRequester = 'visitor' | 'agent';

/** Something that happened to a conversation, as every process and client sees it. */
export type DomainEvent = {
  [T in EventType]: { id: string; type: T; occurredAt: string; conversationId: string; data: EventData[T] };
}[EventType];

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

function createEvent<T extends EventType>(type: T, conversationId: string, data: EventData[T], at: Date): DomainEvent {
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
};
