import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import express from 'express';
import { openBaselineStore, type BaselineDatabase } from './baseline-db';
import { deleteRedisKeys } from './env';
import { sleep } from './stats';

export type { BaselineDatabase } from './baseline-db';

/**
 * The floor the hub's ingest is measured against: a bare express handler that parses the JSON body, does
 * one INSERT of a message row into the hub's own `messages` table (same engine, same file or schema,
 * same indexes) and one BullMQ `queue.add`, then answers 202. No validation, auth, contact or
 * conversation lookup, transaction, outbox, logging or metrics.
 */
export interface BaselineServer {
  url: string;
  /** Redis prefix of its queue. */
  prefix: string;
  /** Stops the server and deletes its queue's keys. */
  stop(): Promise<void>;
}

export async function startBaselineServer(database: BaselineDatabase, redisUrl: string, prefix: string): Promise<BaselineServer> {
  const store = await openBaselineStore(database, 'api', `baseline:${prefix}`);
  const { conversationId } = store;

  const queue = new Queue('events', { connection: { url: redisUrl }, prefix });
  queue.on('error', () => undefined);

  let inFlight = 0;
  const app = express();
  app.disable('x-powered-by');
  app.post('/api/v1/inbound', express.json(), async (req, res) => {
    inFlight++;
    res.on('close', () => inFlight--);
    const input = req.body as { sourceId?: unknown; body?: unknown };
    const messageId = await store.insertMessage({ externalId: `baseline-${String(input.sourceId)}`, body: typeof input.body === 'string' ? input.body : '' });
    await queue.add('message.created', { messageId, conversationId }, { jobId: `msg-${messageId}` });
    res.status(202).json({ conversationId, messageId });
  });
  // Failures show as 5xx in the load generator's counts; no stack traces on the console.
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: { code: 'internal', message: 'baseline insert or queue add failed' } });
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    prefix,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Let requests still running finish their insert and queue add before the queue closes.
      for (const deadline = Date.now() + 10_000; inFlight > 0 && Date.now() < deadline; ) await sleep(10);
      server.closeAllConnections();
      await closed;
      await queue.close().catch(() => undefined);
      await store.close();
      await deleteRedisKeys(redisUrl, prefix);
    },
  };
}
