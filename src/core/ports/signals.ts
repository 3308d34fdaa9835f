/**
 * Someone is typing in a conversation (or stopped). Ephemeral: carried live to every process and never
 * stored or replayed, so a client that was away simply missed it.
 */
export interface TypingSignal {
  type: 'typing';
  conversationId: string;
  from: 'visitor' | 'agent';
  typing: boolean;
  /** The agent's name, shown by the widget; null for visitors. */
  name: string | null;
  /** ISO 8601. */
  occurredAt: string;
}

export type Signal = TypingSignal;

/** Carries signals between processes; unlike the event bus, nothing is kept for latecomers. */
export interface Signals {
  publish(signal: Signal): Promise<void>;
  subscribe(handler: (signal: Signal) => void): Promise<() => Promise<void>>;
}
