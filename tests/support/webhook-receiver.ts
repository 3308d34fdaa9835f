import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** What the receiver answers to one request; `hang` never answers (the hub's timeout must end it). */
export type ReceiverReply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** The JSON body of an API-channel delivery, as the README documents it. */
export interface ReplyWebhookPayload {
  type: string;
  timestamp: string;
  data: {
    messageId: string;
    conversationId: string;
    contactId: string;
    recipient: string;
    body: string;
    attachments: unknown[];
    senderKind: string;
    agentId: string | null;
  };
}

/** One request as the receiver saw it. */
export interface ReceivedWebhook {
  /** When the request had fully arrived (Date.now()). */
  at: number;
  /** 1 for the first request with this webhook-id, 2 for the next, ... */
  attempt: number;
  webhookId: string;
  headers: Record<string, string>;
  rawBody: string;
  /** Undefined when the Standard Webhooks signature did not verify (the receiver then answers 401). */
  payload?: ReplyWebhookPayload;
  verificationError?: string;
  reply: ReceiverReply;
}

/** A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for an integration that receives API-channel replies.
 * Every request is verified with the `standardwebhooks` library and recorded; `respond` decides the
 * answer (by default 200).
 */
export class WebhookReceiver {
  readonly requests: ReceivedWebhook[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly server: Server;
  private readonly webhook: Webhook;
  /** Set by `start` once the server listens. */
  url = '';

  private constructor(
    readonly secret: string,
    private readonly respond: (request: ReceivedWebhook) => ReceiverReply | Promise<ReceiverReply>,
  ) {
    this.webhook = new Webhook(secret);
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** `respond` may take its time (a slow receiver); `port` 0 picks a free one. */
  static async start(secret: string, respond: (request: ReceivedWebhook) => ReceiverReply | Promise<ReceiverReply> = () => ({ status: 200 }), port = 0): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(secret, respond);
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject);
      receiver.server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = receiver.server.address() as AddressInfo;
    receiver.url = `http://127.0.0.1:${address.port}/hooks/replies`;
    return receiver;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const headers = flatHeaders(req);
    const webhookId = headers['webhook-id'] ?? '';
    const request: ReceivedWebhook = {
      at: Date.now(),
      attempt: this.requests.filter((r) => r.webhookId === webhookId).length + 1,
      webhookId,
      headers,
      rawBody,
      reply: { status: 200 },
    };
    try {
      request.payload = this.webhook.verify(rawBody, headers) as ReplyWebhookPayload;
    } catch (error) {
      request.verificationError = error instanceof Error ? error.message : String(error);
    }
    // Recorded on arrival, so that the order of `requests` is the order requests came in.
    this.requests.push(request);
    request.reply = request.payload ? await this.respond(request) : { status: 401, body: 'signature did not verify' };
    const { reply } = request;
    if (reply === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
    res.end(reply.body ?? '');
  }

  /** The requests that carried this message (by `webhook-id`), in arrival order. */
  forMessage(messageId: string): ReceivedWebhook[] {
    return this.requests.filter((r) => r.webhookId === messageId);
  }

  /** Requests whose signature did not verify (should be none). */
  get unverified(): ReceivedWebhook[] {
    return this.requests.filter((r) => !r.payload);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
