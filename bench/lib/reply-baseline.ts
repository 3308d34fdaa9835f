import { randomUUID } from 'node:crypto';
import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, Worker, type Job } from 'bullmq';
import express from 'express';
import { DEFAULT_JOB_OPTIONS } from '../../src/workers/job-publisher';
import { deleteRedisKeys } from './env';
import { sleep } from './stats';

/**
 * The floor the hub's reply throughput is measured against: a bare express handler at the same path that
 * parses the JSON body, does one BullMQ `queue.add` (the hub's default job options) and answers 201 with
 * the job's id; and a BullMQ Worker (as many jobs at once as the hub's delivery worker,
 * DELIVERY_CONCURRENCY) that makes one HTTP POST of a JSON body shaped like the hub's delivery to the
 * same kind of receiver, with a keep-alive node:http agent. No database, validation, auth, outbox,
 * signing, status tracking, events, logging or metrics.
 */
export interface ReplyBaseline {
  url: string;
  /** Redis prefix of its queue. */
  prefix: string;
  /** Jobs waiting, active or delayed. */
  backlog(): Promise<number>;
  /** Stops the server and the worker and deletes the queue's keys. */
  stop(): Promise<void>;
}

interface BaselineJob {
  messageId: string;
  conversationId: string;
  body: string;
  createdAt: string;
}

const QUEUE = 'delivery';

function postJson(agent: Agent, url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function startReplyBaseline(redisUrl: string, prefix: string, receiverUrl: string, concurrency: number): Promise<ReplyBaseline> {
  const queue = new Queue<BaselineJob>(QUEUE, { connection: { url: redisUrl }, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  queue.on('error', () => undefined);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const worker = new Worker<BaselineJob>(
    QUEUE,
    async (job: Job<BaselineJob>) => {
      const { messageId, conversationId, body, createdAt } = job.data;
      const payload = JSON.stringify({
        type: 'message.created',
        timestamp: createdAt,
        data: { messageId, conversationId, contactId: conversationId, recipient: `id:${conversationId}`, body, attachments: [], senderKind: 'agent', agentId: null },
      });
      const status = await postJson(agent, receiverUrl, payload);
      if (status < 200 || status >= 300) throw new Error(`receiver answered HTTP ${status}`);
    },
    { connection: { url: redisUrl }, prefix, concurrency },
  );
  worker.on('error', () => undefined);

  let inFlight = 0;
  const app = express();
  app.disable('x-powered-by');
  app.post('/api/v1/conversations/:id/messages', express.json(), async (req, res) => {
    inFlight++;
    res.on('close', () => inFlight--);
    const input = req.body as { body?: unknown };
    const job: BaselineJob = { messageId: randomUUID(), conversationId: req.params.id, body: typeof input.body === 'string' ? input.body : '', createdAt: new Date().toISOString() };
    await queue.add('deliver', job, { jobId: `reply-${job.messageId}` });
    res.status(201).json({ id: job.messageId, conversationId: job.conversationId, body: job.body, deliveryStatus: 'queued', createdAt: job.createdAt });
  });
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: { code: 'internal', message: 'baseline queue add failed' } });
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    prefix,
    async backlog() {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).reduce((sum, n) => sum + n, 0);
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const deadline = Date.now() + 10_000; inFlight > 0 && Date.now() < deadline; ) await sleep(10);
      server.closeAllConnections();
      await closed;
      await worker.close().catch(() => undefined);
      await queue.close().catch(() => undefined);
      agent.destroy();
      await deleteRedisKeys(redisUrl, prefix);
    },
  };
}
