import type { StreamedEvent } from '../events';
import type { Signal } from './signals';

/** A stream id (`<ms>-<seq>`) as numbers, so that a thousand streams compare it cheaply. */
export interface StreamPosition {
  ms: number;
  seq: number;
}

/** An event with its wire frame and stream position, worked out once for every stream of the process. */
export interface LiveEvent {
  event: StreamedEvent;
  frame: string;
  position: StreamPosition;
}

/** One open connection that follows the live events (an API event stream, a widget socket). */
export interface LiveStream {
  receive(live: LiveEvent): void;
  /** An ephemeral signal (someone typing), for the streams that show them. */
  signal?(signal: Signal): void;
  /** Writes a heartbeat. */
  beat(): void;
  /** Ends the stream (process shutdown). */
  close(): void;
}

/**
 * The live events of this process, as channels with connections of their own (the widget's sockets)
 * follow them: there only in processes that serve HTTP.
 */
export interface LiveFeed {
  /** Adds a stream; returns the function that removes it. */
  add(stream: LiveStream): () => void;
}
