import { Agent, request } from 'node:http';
import { Queue, Worker, type Job } from 'bullmq';
import { DEFAULT_JOB_OPTIONS } from '../../src/workers/job-publisher';
import { deleteRedisKeys } from './env';

/**
 * The floor the hub's webhook deliveries are measured against: per event, one BullMQ `queue.add` per
 * endpoint (the hub's shape: one job per delivery, the hub's default job options), and a BullMQ Worker
 * (as many jobs at once as the hub's CRM worker, WORKER_CONCURRENCY) making one HTTP POST of the body
 * with its `webhook-id` over a keep-alive node:http agent (16 sockets per receiver, like the engine's).
 * No database, delivery rows, ordering, claims, signatures, attempt log, events or metrics.
 */
export interface WebhookBaseline {
  /** Adds the deliveries of one event: one job per receiver URL. */
  addEvent(eventId: string, body: string): Promise<void>;
  /** Jobs waiting, active or delayed. */
  backlog(): Promise<number>;
  /** Stops the worker and deletes the queue's keys. */
  stop(): Promise<void>;
}

interface BaselineJob {
  eventId: string;
  url: string;
  body: string;
}

const QUEUE = 'webhooks';
const MAX_SOCKETS_PER_HOST = 16;

function post(agent: Agent, url: string, eventId: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'webhook-id': eventId };
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function startWebhookBaseline(redisUrl: string, prefix: string, receiverUrls: readonly string[], concurrency: number): WebhookBaseline {
  const queue = new Queue<BaselineJob>(QUEUE, { connection: { url: redisUrl }, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  queue.on('error', () => undefined);
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST });
  const worker = new Worker<BaselineJob>(
    QUEUE,
    async (job: Job<BaselineJob>) => {
      const status = await post(agent, job.data.url, job.data.eventId, job.data.body);
      if (status < 200 || status >= 300) throw new Error(`receiver answered HTTP ${status}`);
    },
    { connection: { url: redisUrl }, prefix, concurrency },
  );
  worker.on('error', () => undefined);

  return {
    async addEvent(eventId, body) {
      await Promise.all(receiverUrls.map((url, i) => queue.add('deliver', { eventId, url, body }, { jobId: `${eventId}-${i}` })));
    },
    async backlog() {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).reduce((sum, n) => sum + n, 0);
    },
    async stop() {
      await worker.close().catch(() => undefined);
      await queue.close().catch(() => undefined);
      agent.destroy();
      await deleteRedisKeys(redisUrl, prefix);
    },
  };
}
