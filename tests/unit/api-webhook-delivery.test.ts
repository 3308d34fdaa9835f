import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { ApiChannelDelivery } from '../../src/channels/api/webhook-delivery';
import { PermanentDeliveryError, RateLimitedError, RetryableDeliveryError } from '../../src/core/errors';
import type { OutboundDelivery } from '../../src/core/ports/channel-adapter';
import { newWebhookSecret } from '../support/webhook-receiver';

/**
 * The API channel's webhook POST against a local node:http server, for what the hub-level tests do not
 * reach: the headers as sent, redirects not followed, the timeout's reason, network errors, an
 * oversized answer, and connections kept alive between replies.
 */

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

const delivery = {
  message: { id: 'msg-1', body: 'Your order ships today 📦', attachments: [], senderKind: 'agent', senderId: null, createdAt: '2025-11-25T12:00:00.000Z' },
  conversation: { id: 'conv-1', contactId: 'contact-1' },
  contact: { id: 'contact-1' },
  identity: { address: 'id:cust-42' },
} as unknown as OutboundDelivery;

describe('ApiChannelDelivery over node:http', () => {
  const secret = newWebhookSecret();
  let server: Server;
  let base: string;
  let handler: Handler;
  const seen: Seen[] = [];
  let connections = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        seen.push(request);
        handler(req, res, request);
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    seen.length = 0;
    handler = (_req, res) => res.end();
  });

  function adapter(path = '/hooks/replies'): ApiChannelDelivery {
    return new ApiChannelDelivery({ url: `${base}${path}`, secret });
  }

  function send(target: ApiChannelDelivery, signal: AbortSignal = new AbortController().signal) {
    return target.send(delivery, { idempotencyKey: 'msg-1', signal });
  }

  it('POSTs the signed JSON with its content-type and content-length, and keeps the id of a 2xx answer', async () => {
    handler = (_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'ext-77' }));
    };
    await expect(send(adapter())).resolves.toEqual({ status: 'sent', externalId: 'ext-77' });

    const [request, ...more] = seen;
    expect(more).toEqual([]);
    if (!request) throw new Error('the server got no request');
    expect(request.url).toBe('/hooks/replies');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['content-length']).toBe(String(Buffer.byteLength(request.body)));
    expect(request.headers['webhook-id']).toBe('msg-1');
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
    expect(new Webhook(secret).verify(request.body, headers)).toMatchObject({ type: 'message.created', data: { messageId: 'msg-1', body: 'Your order ships today 📦' } });
  });

  it('does not follow a redirect: a 302 fails the reply for good, naming the status', async () => {
    handler = (req, res) => {
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/elsewhere' });
        res.end();
      } else res.end(JSON.stringify({ id: 'should-not-be-reached' }));
    };
    const failure = await send(adapter('/moved')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PermanentDeliveryError);
    expect(failure).toMatchObject({ code: 'http_302', message: 'webhook answered HTTP 302' });
    expect(seen.map((r) => r.url)).toEqual(['/moved']);
  });

  it('reports a timeout as "timed out" and a retryable failure', async () => {
    const controller = new AbortController();
    // What AbortSignal.timeout aborts with, once the request is there (so the test does not wait on a clock).
    handler = () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    const failure = await send(adapter(), controller.signal).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RetryableDeliveryError);
    expect((failure as Error).message).toBe('webhook request failed: timed out');
  });

  it('reports a real AbortSignal.timeout the same way', async () => {
    handler = () => undefined; // never answers
    const failure = await send(adapter(), AbortSignal.timeout(50)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RetryableDeliveryError);
    expect((failure as Error).message).toBe('webhook request failed: timed out');
  });

  it('retries a network error with its message', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const failure = await new ApiChannelDelivery({ url: `http://127.0.0.1:${port}/`, secret }).send(delivery, { idempotencyKey: 'msg-1', signal: new AbortController().signal }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RetryableDeliveryError);
    expect((failure as Error).message).toMatch(/^webhook request failed: .*ECONNREFUSED/);
  });

  it('passes the status, Retry-After and the start of the body on to the failure', async () => {
    handler = (_req, res) => {
      res.writeHead(503, { 'retry-after': '7' });
      res.end('busy');
    };
    await expect(send(adapter())).rejects.toMatchObject({ name: 'RetryableDeliveryError', retryAfterMs: 7000, message: 'webhook answered HTTP 503: busy' });
    handler = (_req, res) => {
      res.writeHead(429, { 'retry-after': '3' });
      res.end();
    };
    const limited = await send(adapter()).catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited).toMatchObject({ retryAfterMs: 3000 });
  });

  it('reads only the start of an oversized answer and still counts the 2xx', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(1024 * 1024));
    };
    await expect(send(adapter())).resolves.toEqual({ status: 'sent', externalId: undefined });
  });

  it('sends consecutive replies over one kept-alive connection', async () => {
    const target = adapter();
    const before = connections;
    for (let i = 0; i < 3; i++) await expect(send(target)).resolves.toMatchObject({ status: 'sent' });
    expect(connections - before).toBe(1);
    expect(seen).toHaveLength(3);
  });
});
