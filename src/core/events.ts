import type { Json } from './serialize';
import type { Conversation, Message } from './model/types';

export const EVENT_TYPES = ['conversation.created', 'conversation.updated', 'message.created', 'message.updated'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

interface EventData {
  'conversation.created': { conversation: Json<Conversation> };
  'conversation.updated': { conversation: Json<Conversation>; changes: string[] };
  'message.created': { message: Json<Message> };
  'message.updated': { message: Json<Message> };
}

/** Something that happened to a conversation, as every process and client sees it. */
export type DomainEvent = {
  [T in EventType]: { id: string; type: T; occurredAt: string; conversationId: string; data: EventData[T] };
}[EventType];

export type EventHandler = (event: DomainEvent) => void;

/** Carries domain events to every process. Publishing an event id a second time is a no-op. */
export interface EventBus {
  publish(event: DomainEvent): Promise<'published' | 'duplicate'>;
  subscribe(handler: EventHandler): Promise<() => Promise<void>>;
}

export function createEvent<T extends EventType>(type: T, conversationId: string, data: EventData[T], id: string, at: Date): DomainEvent {
  return { id, type, conversationId, occurredAt: at.toISOString(), data } as DomainEvent;
}
