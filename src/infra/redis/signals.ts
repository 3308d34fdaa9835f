import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Signal, Signals } from '../../core/ports/signals';

function isSignal(value: unknown): value is Signal {
  const signal = value as Partial<Signal> | null;
  return signal?.type === 'typing' && typeof signal.conversationId === 'string' && typeof signal.typing === 'boolean' && (signal.from === 'visitor' || signal.from === 'agent');
}

/**
 * Ephemeral signals (typing) over Redis pub/sub, on a channel of their own: they never enter the event
 * bus's retained stream, so nobody replays them. Published on a fail-fast connection, since a signal that
 * cannot go now is worthless later; received on a subscriber connection of their own.
 */
export class RedisSignals implements Signals {
  private readonly channel: string;

  constructor(
    private readonly connections: { publisher: Redis; subscriberSource: Redis },
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.channel = `${prefix}:signals`;
  }

  async publish(signal: Signal): Promise<void> {
    await this.connections.publisher.publish(this.channel, JSON.stringify(signal));
  }

  async subscribe(handler: (signal: Signal) => void): Promise<() => Promise<void>> {
    const subscriber = this.connections.subscriberSource.duplicate();
    subscriber.on('error', (error: Error) => this.logger.warn({ err: error }, 'signals subscriber connection error'));
    subscriber.on('message', (_channel: string, text: string) => {
      let signal: unknown;
      try {
        signal = JSON.parse(text);
      } catch {
        signal = undefined;
      }
      if (isSignal(signal)) handler(signal);
      else this.logger.error('signals message is not a signal; ignored');
    });
    await subscriber.subscribe(this.channel);
    return async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    };
  }
}
