import type { Logger } from 'pino';
import type { EventBus, StreamedEvent } from '../../core/events';

/** An event with its server-sent-events frame, encoded once for every stream that gets it. */
export interface LiveEvent {
  event: StreamedEvent;
  frame: string;
}

export interface LiveStream {
  receive(live: LiveEvent): void;
  /** Writes a heartbeat comment. */
  beat(): void;
  /** Ends the stream (process shutdown). */
  close(): void;
}

export function sseFrame(event: StreamedEvent): string {
  const { streamId, ...payload } = event;
  return `id: ${streamId}\nevent: ${event.type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/**
 * One subscription to the event bus per process, fanned out to every open stream in it: a thousand
 * clients cost one Redis connection, one JSON encoding per event and one heartbeat timer.
 */
export class LiveEvents {
  private readonly streams = new Set<LiveStream>();
  private unsubscribe?: () => Promise<void>;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    readonly bus: EventBus,
    private readonly heartbeatMs: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe((event) => {
      const live = { event, frame: sseFrame(event) };
      for (const stream of this.streams) {
        try {
          stream.receive(live);
        } catch (error) {
          this.logger.error({ err: error, conversationId: event.conversationId }, 'live event stream failed');
        }
      }
    });
    this.heartbeat = setInterval(() => {
      for (const stream of this.streams) stream.beat();
    }, this.heartbeatMs);
  }

  /** Adds a stream; returns the function that removes it. */
  add(stream: LiveStream): () => void {
    this.streams.add(stream);
    return () => this.streams.delete(stream);
  }

  get size(): number {
    return this.streams.size;
  }

  /** Ends every open stream (clients reconnect elsewhere with Last-Event-ID) and unsubscribes. */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const stream of [...this.streams]) stream.close();
    await this.unsubscribe?.();
  }
}
