/**
 * A place where agents see conversations and work them (a Slack channel with a thread per conversation).
 * After every event of a conversation the workers ask the mirror to catch up; it must be idempotent and
 * resume where an earlier, failed attempt stopped, since it runs again after any failure.
 */
export interface ConversationMirror {
  readonly target: string;
  /** Brings the conversation's copy up to date: header, new messages in order, delivery statuses. */
  sync(conversationId: string): Promise<void>;
}
