import type { ClientFrame, ServerFrame } from '../protocol';

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;
/** The hub pings at the ws level, but a browser never tells the page; our own ping finds a dead link. */
const PING_EVERY_MS = 25_000;
const PONG_WITHIN_MS = 10_000;
/** The hub closes with this when the token is not (or no longer) valid: reconnecting would not help. */
export const BAD_TOKEN = 4401;

export interface SocketHandlers {
  /** Where to resume from: the newest message the widget has, read at each (re)connection. */
  after(): string | undefined;
  frame(frame: ServerFrame): void;
  /** The connection went down (or, blocked by the page's CSP, will not come up). */
  down(): void;
  /** The token was refused; the socket stays closed. */
  rejected(): void;
}

/**
 * The widget's socket: says `hello` with the token and the last message it has on every connection, and
 * after any drop reconnects with a doubling, jittered delay (0.5 s to 15 s), at once when the browser
 * comes back online. Frames sent while disconnected are dropped: typing and receipts are only worth
 * anything live, and receipts are sent again for what the replay brings.
 */
export class WidgetSocket {
  private ws: WebSocket | null = null;
  private token: string | null = null;
  private delay = FIRST_DELAY_MS;
  private retryTimer = 0;
  private pingTimer = 0;
  private pongTimer = 0;
  private blocked = false;

  constructor(
    private readonly url: string,
    private readonly handlers: SocketHandlers,
  ) {
    addEventListener('online', () => {
      if (this.token) this.reconnect(0);
    });
    // A CSP `connect-src` naming the hub as https://HUB does not cover wss://HUB: no use retrying then
    // (every try would log a violation); the chat carries on over HTTP.
    document.addEventListener('securitypolicyviolation', (event) => {
      if (!event.blockedURI.startsWith(new URL(url).origin)) return;
      this.blocked = true;
      this.drop();
      handlers.down();
    });
    // A dead connection can take minutes to notice; the browser knowing it is offline is enough.
    addEventListener('offline', () => this.lost());
  }

  start(token: string): void {
    this.token = token;
    this.delay = FIRST_DELAY_MS;
    this.reconnect(0);
  }

  stop(): void {
    this.token = null;
    this.drop();
    clearTimeout(this.retryTimer);
  }

  /** False when there is no open connection to send it on. */
  send(frame: ClientFrame): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  private reconnect(delay: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }

  private connect(): void {
    this.drop();
    const token = this.token;
    if (!token || this.blocked) return;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.send({ type: 'hello', token, after: this.handlers.after() });
      this.ping();
    });
    ws.addEventListener('message', (event) => {
      this.ping();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(event.data)) as ServerFrame;
      } catch {
        return;
      }
      // A connection counts as good once the hub accepted the hello, not merely when it opened.
      if (frame.type === 'ready') this.delay = FIRST_DELAY_MS;
      this.handlers.frame(frame);
    });
    ws.addEventListener('close', (event) => {
      if (this.ws !== ws) return;
      if (event.code === BAD_TOKEN) {
        this.stop();
        this.handlers.rejected();
      } else this.lost();
    });
  }

  /**
   * Gives the connection up without waiting for its close handshake (which never ends on a dead link) and
   * tries again after the backoff.
   */
  private lost(): void {
    if (!this.ws) return;
    this.drop();
    this.handlers.down();
    this.reconnect(this.delay * (0.5 + Math.random()));
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
  }

  /** Any frame from the hub proves the link alive: ping again after a quiet while, expect the pong. */
  private ping(): void {
    clearTimeout(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = window.setTimeout(() => {
      this.send({ type: 'ping' });
      this.pongTimer = window.setTimeout(() => this.lost(), PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  private drop(): void {
    clearTimeout(this.pingTimer);
    clearTimeout(this.pongTimer);
    const ws = this.ws;
    this.ws = null;
    ws?.close();
  }
}
