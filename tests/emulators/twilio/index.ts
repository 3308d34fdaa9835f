import { createServer, type Server } from 'node:http';
import type { StoredMedia } from './media';
import { handleRest, type RestState } from './rest-api';
import { newSid } from './sids';
import type { EmulatedMessage, EmulatedRequest, Failure, InboundParams, InboundResult, MessageStatus, WebhookResponse, WebhookTarget } from './types';
import * as webhooks from './webhooks';
import { listenLocally } from '../../support/local-server';

export { countSegments } from './segments';
export type { EmulatedMessage, EmulatedRequest, Failure, FetchedMedia, InboundMedia, InboundParams, InboundResult, MessageStatus, WebhookResponse, WebhookTarget } from './types';

const POLL_MS = 20;

/**
 * A local stand-in for Twilio, since tests run without internet: it answers the REST calls of the
 * real `twilio` client (pointed here through a custom httpClient) and plays Twilio's side by posting
 * signed webhooks to the hub.
 */
export class TwilioEmulator {
  readonly messages: EmulatedMessage[] = [];
  readonly requests: EmulatedRequest[] = [];
  /** Recipients who texted STOP: creating a message to them fails with 21610, as on Twilio. */
  optedOut = new Set<string>();
  private readonly media = new Map<string, StoredMedia>();
  private readonly failures: Failure[] = [];
  /** Statuses the next downloads of a media (by path) answer with. */
  private readonly mediaFailures = new Map<string, number[]>();
  private mediaHold: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    /** The base that replaces https://api.twilio.com, e.g. http://127.0.0.1:PORT. */
    readonly url: string,
    readonly accountSid: string,
    readonly authToken: string,
  ) {
    const state: RestState = {
      accountSid,
      authToken,
      messages: this.messages,
      requests: this.requests,
      media: this.media,
      // Read through `this` on every call: tests may replace the whole set.
      isOptedOut: (number) => this.optedOut.has(number),
      takeFailure: () => this.failures.shift(),
      takeMediaFailure: (path) => this.mediaFailures.get(path)?.shift(),
      mediaReleased: () => this.mediaHold ?? Promise.resolve(),
    };
    server.on('request', (req, res) => void handleRest(state, req, res));
  }

  /** The settings that point a hub at this emulator, with the business's numbers (TWILIO_NUMBERS). */
  hubEnv(numbers: string): Record<string, string> {
    return { TWILIO_ACCOUNT_SID: this.accountSid, TWILIO_AUTH_TOKEN: this.authToken, TWILIO_API_URL: this.url, TWILIO_NUMBERS: numbers };
  }

  static async start(options: { accountSid: string; authToken: string }): Promise<TwilioEmulator> {
    const server = createServer();
    const { url } = await listenLocally(server);
    return new TwilioEmulator(server, url, options.accountSid, options.authToken);
  }

  /** Throttling, outages and refusals on demand, so the hub's retry and give-up paths can be tested. */
  failNext(count: number, failure: Failure): void {
    if (!Number.isInteger(count) || count < 0) throw new Error(`failNext: count must be a non-negative integer, got ${count}`);
    for (let i = 0; i < count; i += 1) this.failures.push(failure);
  }

  /** The next `count` downloads of the media at `url` (from addMedia) answer `status` (Twilio's JSON error) instead. */
  failNextMedia(url: string, count: number, status: number): void {
    if (!Number.isInteger(count) || count < 0) throw new Error(`failNextMedia: count must be a non-negative integer, got ${count}`);
    const { pathname } = new URL(url);
    const queued = this.mediaFailures.get(pathname) ?? [];
    for (let i = 0; i < count; i += 1) queued.push(status);
    this.mediaFailures.set(pathname, queued);
  }

  /**
   * Downloads of inbound MMS media wait, as when Twilio's media store is slow, until the returned
   * function is called.
   */
  holdMedia(): () => void {
    let release = () => {};
    const hold = new Promise<void>((resolve) => (release = resolve));
    this.mediaHold = hold;
    return () => {
      if (this.mediaHold === hold) this.mediaHold = undefined;
      release();
    };
  }

  /**
   * Stores a file the way Twilio keeps inbound MMS media, and returns its URL in Twilio's shape. Like
   * Twilio with media auth on, fetching it needs the account's basic auth, so the hub must send it.
   */
  addMedia(contentType: string, bytes: Buffer): string {
    const path = `/2010-04-01/Accounts/${this.accountSid}/Messages/${newSid('MM')}/Media/${newSid('ME')}`;
    this.media.set(path, { contentType, bytes });
    return this.url + path;
  }

  /** The hub sends from background workers, so tests wait for the outcome rather than a response. */
  async waitForMessages(count: number, timeoutMs = 10_000): Promise<EmulatedMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      if (Date.now() >= deadline) {
        const seen = this.messages.map((m) => `${m.to}: ${JSON.stringify(m.body)}`).join('; ') || 'none';
        throw new Error(`TwilioEmulator: expected at least ${count} message(s) within ${timeoutMs} ms, got ${this.messages.length} (${seen})`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return [...this.messages];
  }

  /**
   * Posts an incoming SMS/MMS to `target.url + '/webhooks/twilio/sms'`, signed over
   * `options.signUrl ?? target.publicUrl + '/webhooks/twilio/sms'` (what Twilio has configured).
   * `signature: null` omits the header; a string replaces it.
   */
  sendInbound(target: WebhookTarget, params: InboundParams, options?: { signature?: string | null; signUrl?: string }): Promise<InboundResult> {
    return webhooks.sendInbound(this, target, params, options);
  }

  /**
   * Posts a status callback for `message`, signed over its StatusCallback exactly as the hub gave it,
   * but sent to the hub's reachable address (`target.url` plus what follows `target.publicUrl`).
   * Throws when the message has no StatusCallback. Also sets `message.status` (and `errorCode`).
   */
  sendStatus(
    target: WebhookTarget,
    message: EmulatedMessage,
    status: MessageStatus,
    options?: { errorCode?: number; signature?: string | null },
  ): Promise<WebhookResponse> {
    return webhooks.sendStatus(this, target, message, status, options);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}
