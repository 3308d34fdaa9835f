import type { Logger } from 'pino';
import type { EventBus, StreamedEvent } from '../core/events';
import type { LiveEvent, LiveFeed, LiveStream, StreamPosition } from '../core/ports/live-feed';
import type { Signals } from '../core/ports/signals';

export type { LiveEvent, LiveStream, StreamPosition } from '../core/ports/live-feed';

export function streamPosition(streamId: string): StreamPosition {
  const [ms = 0, seq = 0] = streamId.split('-').map(Number);
  return { ms, seq };
}

export function isAfter(a: StreamPosition, b: StreamPosition): boolean {
  return a.ms > b.ms || (a.ms === b.ms && a.seq > b.seq);
}

export function liveEvent(event: StreamedEvent): LiveEvent {
  return { event, frame: sseFrame(event), position: streamPosition(event.streamId) };
}

export function sseFrame(event: StreamedEvent): string {
  const { streamId, ...payload } = event;
  return `id: ${streamId}\nevent: ${event.type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/**
 * One subscription to the event bus (and one to the signals) per process, fanned out to every open
 * stream in it: a thousand clients cost one Redis connection, one JSON encoding per event and one
 * heartbeat timer.
 */
export class LiveEvents implements LiveFeed {
  private readonly streams = new Set<LiveStream>();
  private readonly unsubscribers: (() => Promise<void>)[] = [];
  private heartbeat?: NodeJS.Timeout;

  constructor(
    readonly bus: EventBus,
    private readonly heartbeatMs: number,
    private readonly logger: Logger,
    private readonly signals?: Signals,
  ) {}

  async start(): Promise<void> {
    this.unsubscribers.push(
      await this.bus.subscribe((event) => {
        const live = liveEvent(event);
        this.each(event.conversationId, (stream) => stream.receive(live));
      }),
    );
    if (this.signals) this.unsubscribers.push(await this.signals.subscribe((signal) => this.each(signal.conversationId, (stream) => stream.signal?.(signal))));
    this.heartbeat = setInterval(() => {
      for (const stream of this.streams) stream.beat();
    }, this.heartbeatMs);
  }

  private each(conversationId: string | null, deliver: (stream: LiveStream) => void): void {
    for (const stream of this.streams) {
      try {
        deliver(stream);
      } catch (error) {
        this.logger.error({ err: error, conversationId }, 'live event stream failed');
      }
    }
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
    await Promise.all(this.unsubscribers.splice(0).map((unsubscribe) => unsubscribe()));
  }
}
