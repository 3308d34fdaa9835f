import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { EVENT_TYPES, type DomainEvent, type EventBus, type EventHandler } from '../../core/events';

/** How long an event id is remembered, so that a job run twice publishes once. */
const PUBLISHED_TTL_SECONDS = 7 * 24 * 3600;

// Marking the id and publishing in one script makes "publish once" atomic: a crash can come before or
// after both, never between them.
const PUBLISH_ONCE = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  redis.call('PUBLISH', KEYS[2], ARGV[1])
  return 1
end
return 0`;

function isDomainEvent(value: unknown): value is DomainEvent {
  const event = value as Partial<DomainEvent> | null;
  return typeof event?.id === 'string' && typeof event.conversationId === 'string' && (EVENT_TYPES as readonly string[]).includes(event.type ?? '');
}

/** The event bus on Redis pub/sub: every process subscribed under the same prefix sees every event. */
export class RedisEventBus implements EventBus {
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    this.channel = `${prefix}:events`;
  }

  async publish(event: DomainEvent): Promise<'published' | 'duplicate'> {
    const result = await this.redis.eval(PUBLISH_ONCE, 2, `${this.prefix}:published:${event.id}`, this.channel, JSON.stringify(event), PUBLISHED_TTL_SECONDS);
    return result === 1 ? 'published' : 'duplicate';
  }

  async subscribe(handler: EventHandler): Promise<() => Promise<void>> {
    const subscriber = this.redis.duplicate();
    subscriber.on('error', (error: Error) => this.logger.warn({ err: error }, 'event bus subscriber connection error'));
    subscriber.on('message', (_channel: string, text: string) => {
      let event: unknown;
      try {
        event = JSON.parse(text);
      } catch {
        this.logger.error('event bus message is not JSON; ignored');
        return;
      }
      if (!isDomainEvent(event)) {
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
}
