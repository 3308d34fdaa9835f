import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { postJson } from '../../../infra/http/post-json';
import type { WebhookEndpoint } from '../../../core/model/types';
import { guardedLookup, RefusedAddressError, refusedLiteral } from './ssrf';

/** The most of an answer (or an error text) the delivery log keeps. */
export const LOGGED_ANSWER_CHARS = 1024;
const MAX_SOCKETS_PER_HOST = 16;

/**
 * The Standard Webhooks headers of one try: `webhook-id` is the event's id on every try and
 * redelivery; during a rotation's overlap the previous secret signs beside the new one.
 */
export function signedHeaders(endpoint: Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, webhookId: string, body: string, now: Date): Record<string, string> {
  const secrets = [endpoint.secret];
  if (endpoint.previousSecret !== null && endpoint.previousSecretExpiresAt !== null && endpoint.previousSecretExpiresAt > now) secrets.push(endpoint.previousSecret);
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(webhookId, now, body)).join(' '),
  };
}

/** What one POST came to: the receiver's answer, or no answer and why (`refused`: the SSRF guard's doing). */
export type SendOutcome = { answered: true; status: number; retryAfter: string | null; text: string } | { answered: false; error: string; refused: boolean };

/**
 * POSTs deliveries, over kept-alive connections whose every new socket goes through the SSRF guard's
 * lookup (a host name re-checked at each connect; an IP literal checked before).
 */
export class WebhookSender {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;
  private readonly lookup: LookupFunction;

  constructor(
    private readonly allowPrivate: boolean,
    private readonly timeoutMs: number,
  ) {
    const options = { keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST };
    this.http = new HttpAgent(options);
    this.https = new HttpsAgent(options);
    this.lookup = guardedLookup(allowPrivate);
  }

  async send(url: URL, headers: Record<string, string>, body: string): Promise<SendOutcome> {
    const refused = refusedLiteral(url, this.allowPrivate);
    if (refused) return { answered: false, error: refused.message, refused: true };
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { answered: false, error: `${url.protocol} URLs are not delivered to`, refused: true };
    try {
      const agent = url.protocol === 'https:' ? this.https : this.http;
      const answer = await postJson(agent, url, { ...headers, 'user-agent': 'Switchboard-Webhooks/1' }, body, AbortSignal.timeout(this.timeoutMs), { lookup: this.lookup });
      return { answered: true, status: answer.status, retryAfter: answer.retryAfter, text: answer.text.slice(0, LOGGED_ANSWER_CHARS) };
    } catch (error) {
      const message = error instanceof Error ? (error.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : error.message) : String(error);
      return { answered: false, error: message.slice(0, LOGGED_ANSWER_CHARS), refused: error instanceof RefusedAddressError };
    }
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
