import { PermanentDeliveryError, ValidationError, type ErrorIssue } from '../errors';
import type { ChannelName } from '../model/types';
import type { ChannelAdapter, ChannelCapabilities } from '../ports/channel-adapter';

/** What a reply would ask of its channel that the channel cannot carry, as issues; none when it fits. */
export function refusalsOf(channel: ChannelName, capabilities: ChannelCapabilities, reply: { body: string; attachments: readonly unknown[] }): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  if (reply.attachments.length > 0 && !capabilities.attachments) issues.push({ path: 'attachments', code: 'attachments_not_supported', message: `the ${channel} channel carries no attachments` });
  const max = capabilities.maxTextLength;
  if (max !== undefined && reply.body.length > max) issues.push({ path: 'body', code: 'text_too_long', message: `the ${channel} channel carries at most ${max} characters; this has ${reply.body.length}` });
  return issues;
}

/**
 * The channels that send, with what each can carry: filled by the composition root once the channels
 * exist, read by core (replies are refused before they are stored) and the delivery worker.
 */
export class ChannelCatalog {
  private readonly adapters = new Map<ChannelName, ChannelAdapter>();

  add(adapters: readonly ChannelAdapter[]): void {
    for (const adapter of adapters) this.adapters.set(adapter.channel, adapter);
  }

  /** The channels whose identities' addresses are their customers' phone numbers, or email addresses. */
  channelsWithAddresses(kind: 'phone' | 'email'): ChannelName[] {
    return [...this.adapters.values()].filter((adapter) => adapter.capabilities.addresses === kind).map((adapter) => adapter.channel);
  }

  adapterOf(channel: ChannelName): ChannelAdapter | undefined {
    return this.adapters.get(channel);
  }

  /** Refuses, with a 4xx-kind error naming the field, a reply the conversation's channel cannot carry. */
  assertAccepts(channel: ChannelName, reply: { body: string; attachments: readonly unknown[] }): void {
    const adapter = this.adapters.get(channel);
    const issues = adapter ? refusalsOf(channel, adapter.capabilities, reply) : [];
    if (issues.length > 0) throw new ValidationError(`The reply cannot go out on the ${channel} channel: ${issues.map((issue) => issue.message).join('; ')}`, issues);
  }

  /** Refuses for good, before any send, a message its channel cannot carry (one queued before a limit changed). */
  assertCarries(adapter: ChannelAdapter, message: { channel: ChannelName; body: string; attachments: readonly unknown[] }): void {
    const [issue] = refusalsOf(message.channel, adapter.capabilities, message);
    if (issue) throw new PermanentDeliveryError(`The ${message.channel} channel cannot carry this message: ${issue.message}`, issue.code);
  }
}
