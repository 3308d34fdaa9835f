import type { Logger } from 'pino';
import type { EventBus, StreamedEvent } from '../../core/events';

type Listener = (event: StreamedEvent) => void;

/**
 * One subscription to the event bus per process, fanned out to every open stream in it, so a thousand
 * clients cost one Redis connection.
 */
export class LiveEvents {
  private readonly listeners = new Set<Listener>();
  private readonly closers = new Set<() => void>();
  private unsubscribe?: () => Promise<void>;

  constructor(
    readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe((event) => {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          this.logger.error({ err: error, conversationId: event.conversationId }, 'live event listener failed');
        }
      }
    });
  }

  /** Adds a stream; `close` ends it when the process stops. Returns the function that removes it. */
  add(listener: Listener, close: () => void): () => void {
    this.listeners.add(listener);
    this.closers.add(close);
    return () => {
      this.listeners.delete(listener);
      this.closers.delete(close);
    };
  }

  get size(): number {
    return this.listeners.size;
  }

  /** Ends every open stream (clients reconnect elsewhere with Last-Event-ID) and unsubscribes. */
  async stop(): Promise<void> {
    for (const close of [...this.closers]) close();
    await this.unsubscribe?.();
  }
}
