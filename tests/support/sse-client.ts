import { describeError, waitFor } from './processes';

/** One server-sent event as a browser's EventSource would dispatch it. */
export interface SseEvent {
  /** The `id:` of this event, when it had one. */
  id?: string;
  /** `event:`, or `message` when absent. */
  event: string;
  data: string;
}

export interface SseConnectOptions {
  /** Bearer key; null sends no Authorization header. */
  key: string | null;
  lastEventId?: string;
}

/**
 * A small server-sent events client over fetch: parses `id:`, `event:`, `data:` and comment lines per the
 * HTML spec's event stream format, and records everything it receives until closed.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  /** Comment lines (`: heartbeat`), without the colon and the one space after it. */
  readonly comments: string[] = [];
  /** Set when the stream ended or failed (other than by `close()`). */
  ended = false;
  endError?: unknown;
  private readonly done: Promise<void>;

  private constructor(
    readonly status: number,
    readonly headers: Headers,
    private readonly controller: AbortController,
    body: ReadableStream<Uint8Array>,
  ) {
    this.done = this.read(body);
  }

  /**
   * Opens a stream and resolves once the response headers arrived. A non-200 answer throws an error
   * carrying its status and body (see `SseClient.refused`).
   */
  static async connect(url: string, options: SseConnectOptions): Promise<SseClient> {
    const headers = new Headers({ accept: 'text/event-stream' });
    if (options.key !== null) headers.set('authorization', `Bearer ${options.key}`);
    if (options.lastEventId !== undefined) headers.set('last-event-id', options.lastEventId);
    const controller = new AbortController();
    const response = await fetch(url, { headers, signal: controller.signal });
    if (response.status !== 200 || !response.body) {
      const text = await response.text();
      throw new SseRefusedError(response.status, text);
    }
    return new SseClient(response.status, response.headers, controller, response.body);
  }

  /** The last `id:` received (what a browser would send back as Last-Event-ID). */
  get lastEventId(): string | undefined {
    return this.events.findLast((event) => event.id !== undefined)?.id;
  }

  /** Events with a given `event:` type (all when omitted), data parsed as JSON. */
  parsed(type?: string): (SseEvent & { json: unknown })[] {
    return this.events.filter((event) => type === undefined || event.event === type).map((event) => ({ ...event, json: JSON.parse(event.data) as unknown }));
  }

  /** Waits until `check` finds something in what was received, failing with `what` and a summary. */
  async until<T>(what: string, check: (client: SseClient) => T | undefined | false, timeoutMs = 15_000): Promise<T> {
    try {
      return await waitFor(what, () => {
        const found = check(this);
        if (found === undefined || found === false) {
          if (this.ended) throw new Error(`the stream ended (${this.endError === undefined ? 'closed by the server' : describeError(this.endError)}) before ${what}`);
        }
        return found;
      }, timeoutMs, 20);
    } catch (error) {
      const summary = this.events.slice(-10).map((e) => `${e.id ?? '-'} ${e.event}`).join(', ');
      throw new Error(`${error instanceof Error ? error.message : String(error)}; received ${this.events.length} events (last: ${summary || 'none'})`, { cause: error });
    }
  }

  /** Disconnects, as a client that goes away does. */
  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let pending = '';
    let event: { id?: string; event?: string; data: string[] } = { data: [] };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += decoder.decode(value, { stream: true });
        const lines = pending.split(/\r\n|\n|\r/);
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line === '') {
            if (event.data.length > 0 || event.event !== undefined) {
              this.events.push({ ...(event.id !== undefined ? { id: event.id } : {}), event: event.event ?? 'message', data: event.data.join('\n') });
            }
            event = { data: [] };
            continue;
          }
          if (line.startsWith(':')) {
            this.comments.push(line.slice(1).replace(/^ /, ''));
            continue;
          }
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') event.id = value;
          else if (field === 'event') event.event = value;
          else if (field === 'data') event.data.push(value);
          // `retry:` and unknown fields change nothing here
        }
      }
    } catch (error) {
      if (!this.controller.signal.aborted) this.endError = error;
    } finally {
      this.ended = true;
    }
  }
}

export class SseRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`the event stream answered HTTP ${status}: ${body}`);
    this.name = 'SseRefusedError';
  }
}
