import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { EVENT_TYPES, type DomainEvent, type EventBus, type EventHandler, type StreamedEvent } from '../../core/events';

/** How long an event id is remembered, so that a job run twice publishes once. */
const PUBLISHED_TTL_SECONDS = 7 * 24 * 3600;
/** A client further behind than this starts over from a `reset` rather than replaying a flood. */
const MAX_REPLAY = 10_000;
const STREAM_ID = /^\d{1,15}-\d{1,15}$/;

// Marking the id, appending to the retained stream and publishing happen in one script, so "once" is
// atomic (a crash comes before or after all three) and pub/sub order is stream order.
const PUBLISH_ONCE = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  local id = redis.call('XADD', KEYS[3], 'MINID', '~', ARGV[3], '*', 'e', ARGV[1])
  redis.call('PUBLISH', KEYS[2], '{"streamId":"' .. id .. '",' .. string.sub(ARGV[1], 2))
  return id
end
return false`;

function isStreamedEvent(value: unknown): value is StreamedEvent {
  const event = value as Partial<StreamedEvent> | null;
  return (
    typeof event?.id === 'string' &&
    typeof event.streamId === 'string' &&
    (typeof event.conversationId === 'string' || event.conversationId === null) &&
    (EVENT_TYPES as readonly string[]).includes(event.type ?? '')
  );
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The event bus on Redis: a capped stream keeps the last minutes of events for clients that reconnect,
 * and pub/sub carries each one live to every process subscribed under the same prefix.
 */
export class RedisEventBus implements EventBus {
  private readonly channel: string;
  private readonly stream: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly retentionMs = 10 * 60_000,
  ) {
    this.channel = `${prefix}:events`;
    this.stream = `${prefix}:events:stream`;
  }

  async publish(event: DomainEvent): Promise<'published' | 'duplicate'> {
    return (await this.publishAll([event])) === 1 ? 'published' : 'duplicate';
  }

  async publishAll(events: readonly DomainEvent[]): Promise<number> {
    const minId = `${Math.max(0, Date.now() - this.retentionMs)}-0`;
    // One round trip for all of them; a pipeline keeps their order.
    const pipeline = this.redis.pipeline();
    for (const event of events) {
      pipeline.eval(PUBLISH_ONCE, 3, `${this.prefix}:published:${event.id}`, this.channel, this.stream, JSON.stringify(event), PUBLISHED_TTL_SECONDS, minId);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
    return results.filter(([, result]) => result).length;
  }

  async subscribe(handler: EventHandler): Promise<() => Promise<void>> {
    const subscriber = this.redis.duplicate();
    subscriber.on('error', (error: Error) => this.logger.warn({ err: error }, 'event bus subscriber connection error'));
    subscriber.on('message', (_channel: string, text: string) => {
      const event = parse(text);
      if (!isStreamedEvent(event)) {
        this.logger.error('event bus message is not a domain event; ignored');
        return;
      }
      handler(event);
    });
    await subscriber.subscribe(this.channel);
    return async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    };
  }

  /**
   * The events after `streamId`, if it is still in the stream. Retention trims the stream from its
   * oldest end, so while the client's last event is kept, nothing after it was dropped. An id that is
   * not in the stream (trimmed, lost with Redis, from another hub, never issued) is `expired`: some of
   * the events after it may be gone. (Redis does not report trims in XINFO's max-deleted-entry-id, so
   * the entry itself is the evidence.) One XRANGE reads the check and the events together.
   */
  async readSince(streamId: string): Promise<StreamedEvent[] | 'expired'> {
    if (!STREAM_ID.test(streamId)) return 'expired';
    const entries = await this.redis.xrange(this.stream, streamId, '+', 'COUNT', MAX_REPLAY + 2);
    if (entries[0]?.[0] !== streamId) return 'expired';
    const missed = entries.slice(1);
    if (missed.length > MAX_REPLAY) return 'expired';
    return missed.flatMap(([id, fields]) => {
      const event = parse(fields[1] ?? '') as Record<string, unknown> | undefined;
      const streamed = event ? { ...event, streamId: id } : undefined;
      return isStreamedEvent(streamed) ? [streamed] : [];
    });
  }
}
