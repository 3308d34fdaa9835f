import type { ClientFrame, ServerFrame, WidgetHistory } from '../protocol';
import { HttpError, type HubClient } from './http';
import { WidgetSocket } from './socket';

export interface FeedHandlers {
  /** The newest message the widget has: where the socket's replay and the polls start. */
  after(): string | undefined;
  /** The history loaded at start (`live` false), or what a poll found while the socket was down. */
  history(history: WidgetHistory, live: boolean): void;
  frame(frame: ServerFrame): void;
  /** The history at start has been loaded (or could not be). */
  loaded(): void;
  /** The hub does not know the token (its secret changed, the visitor was deleted). */
  rejected(): void;
}

/**
 * While the socket is down (a drop, a proxy, or a page CSP that names the hub as https://HUB in
 * `connect-src`, which does not cover wss://HUB), new messages come over HTTP instead: after a grace
 * period for a quick reconnect, every few seconds while the page is seen, rarely while it is hidden.
 */
const POLL_AFTER_MS = 3000;
const POLL_EVERY_MS = 2000;
const POLL_HIDDEN_MS = 20_000;

/**
 * Everything the hub says about one visitor's conversations, in order: the history first, then the
 * socket from the newest message loaded, or polls of the history while there is no socket.
 */
export class Feed {
  private token: string | null = null;
  /** The socket has said `ready` and not dropped since. */
  private live = false;
  private pollTimer = 0;
  private readonly socket: WidgetSocket;

  constructor(
    private readonly hub: HubClient,
    socketUrl: string,
    private readonly handlers: FeedHandlers,
  ) {
    this.socket = new WidgetSocket(socketUrl, {
      after: () => handlers.after(),
      frame: (frame) => {
        if (frame.type === 'ready') this.live = true;
        handlers.frame(frame);
      },
      down: () => {
        this.live = false;
        this.poll(POLL_AFTER_MS);
      },
      rejected: () => handlers.rejected(),
    });
  }

  start(token: string): void {
    this.stop();
    this.token = token;
    this.hub
      .json<WidgetHistory>('history')
      .then((history) => {
        if (this.current(token)) this.handlers.history(history, false);
      })
      .catch((error: unknown) => {
        if (error instanceof HttpError && error.status === 401 && this.current(token)) this.handlers.rejected();
      })
      .finally(() => {
        if (!this.current(token)) return;
        this.handlers.loaded();
        this.socket.start(token);
        this.poll(POLL_AFTER_MS);
      });
  }

  stop(): void {
    this.token = null;
    this.live = false;
    this.socket.stop();
    clearTimeout(this.pollTimer);
  }

  /** False when the socket is not connected: typing and receipts are only worth sending live. */
  send(frame: ClientFrame): boolean {
    return this.socket.send(frame);
  }

  /** Answers about a token the visitor no longer has are dropped. */
  private current(token: string): boolean {
    return this.token === token;
  }

  /** Fetches what the socket would have brought, until it is back (its replay then dedupes). */
  private poll(delay: number): void {
    clearTimeout(this.pollTimer);
    const token = this.token;
    if (!token) return;
    this.pollTimer = window.setTimeout(() => {
      if (this.live || !this.current(token)) return;
      const after = this.handlers.after();
      this.hub
        .json<WidgetHistory>(after ? `history?after=${encodeURIComponent(after)}` : 'history')
        .then((history) => {
          if (!this.live && this.current(token)) this.handlers.history(history, true);
        })
        .catch(() => undefined)
        .finally(() => {
          if (!this.live && this.current(token)) this.poll(document.visibilityState === 'visible' ? POLL_EVERY_MS : POLL_HIDDEN_MS);
        });
    }, delay);
  }
}
