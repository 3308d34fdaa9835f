import type { Agent } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { RetryableDeliveryError } from '../../core/errors';
import type { ChannelAdapter, OutboundDelivery, SendContext, SendReceipt } from '../../core/ports/channel-adapter';
import { httpFailure } from '../retry-after';
import { keepAliveAgent, postJson, type JsonAnswer } from '../../infra/http/post-json';

export interface WebhookTarget {
  url: string;
  /** Standard Webhooks secret: `whsec_` and base64. */
  secret: string;
}

/** The JSON an integration receives for an agent reply. */
export function replyPayload(delivery: OutboundDelivery): { type: 'message.created'; timestamp: string; data: Record<string, unknown> } {
  const { message, conversation, identity } = delivery;
  return {
    type: 'message.created',
    timestamp: message.createdAt,
    data: {
      messageId: message.id,
      conversationId: conversation.id,
      contactId: conversation.contactId,
      /** The address the customer wrote from, as sent to /inbound (`id:…`, `email:…` or `phone:…`). */
      recipient: identity.address,
      body: message.body,
      attachments: message.attachments,
      senderKind: message.senderKind,
      agentId: message.senderId,
    },
  };
}

/**
 * The integration's own id of the reply, from a JSON answer `{ "id": "…" }`. Anything else (no body,
 * text, another shape) is still a delivered reply, just without the integration's id.
 */
function integrationId(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const id = typeof parsed === 'object' && parsed !== null ? (parsed as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length >= 1 && id.length <= 255 && !id.includes('\u0000') ? id : undefined;
}

/**
 * Delivers agent replies on the API channel: POSTs them to the integration's URL, signed per the
 * Standard Webhooks spec with the message id as `webhook-id`, the same on every attempt so the
 * receiver can drop a repeat. Network errors, timeouts, 429 and 5xx are retried; other 4xx are final.
 * With no URL configured, a reply is on the event stream and that is its delivery. A 2xx answer may
 * carry the integration's own id of the reply, kept as the message's externalId.
 */
export class ApiChannelDelivery implements ChannelAdapter {
  readonly channel = 'api';
  // The integration reports receipts with POST /api/v1/messages/:id/status.
  readonly capabilities = { attachments: true, receipts: 'push', threads: false } as const;
  private readonly webhook?: Webhook;
  private readonly url?: URL;
  /** One pool of kept-alive connections per adapter: a reply reuses the last one's connection. */
  private readonly agent?: Agent;

  constructor(target: WebhookTarget | undefined) {
    this.webhook = target ? new Webhook(target.secret) : undefined;
    this.url = target ? new URL(target.url) : undefined;
    this.agent = this.url ? keepAliveAgent(this.url) : undefined;
  }

  async send(delivery: OutboundDelivery, context: SendContext): Promise<SendReceipt> {
    if (!this.webhook || !this.url || !this.agent) return { status: 'sent' };
    const body = JSON.stringify(replyPayload(delivery));
    const now = new Date();
    const id = context.idempotencyKey;
    let response: JsonAnswer;
    try {
      // A redirect is a misconfigured URL, not a passing fault: it is reported, not followed or retried.
      response = await postJson(
        this.agent,
        this.url,
        {
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': this.webhook.sign(id, now, body),
        },
        body,
        context.signal,
      );
    } catch (error) {
      const cause = error instanceof Error ? (error.name === 'TimeoutError' ? 'timed out' : error.message) : String(error);
      throw new RetryableDeliveryError(`webhook request failed: ${cause}`);
    }
    const { status, retryAfter, text } = response;
    if (status >= 200 && status < 300) return { status: 'sent', externalId: integrationId(text) };
    const detail = text.slice(0, 200);
    const message = `webhook answered HTTP ${status}${detail ? `: ${detail}` : ''}`;
    throw httpFailure(status, retryAfter, message);
  }
}
