import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import BetterSqlite3 from 'better-sqlite3';
import { Queue } from 'bullmq';
import express from 'express';
import { Pool } from 'pg';
import { deleteRedisKeys } from './env';
import type { Engine } from './hub';
import { sleep } from './stats';

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

export type BaselineDatabase = { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string; schema: string };

interface MessageRow {
  id: string;
  conversationId: string;
  externalId: string;
  body: string;
  createdAt: string;
}

/** One row insert, engine by engine. */
interface RowWriter {
  engine: Engine;
  exec(sql: string, values: unknown[]): Promise<void>;
  insertMessage(row: MessageRow): Promise<void>;
  close(): Promise<void>;
}

const MESSAGE_COLUMNS = ['id', 'conversationId', 'channel', 'direction', 'senderKind', 'senderId', 'body', 'attachments', 'externalId', 'deliveryStatus', 'failureReason', 'private', 'metadata', 'createdAt'];

function messageValues(row: MessageRow, senderId: string, engine: Engine): unknown[] {
  return [row.id, row.conversationId, 'api', 'inbound', 'contact', senderId, row.body, '[]', row.externalId, 'received', null, engine === 'sqlite' ? 0 : false, '{}', row.createdAt];
}

function insertSql(table: string, columns: string[], engine: Engine): string {
  const placeholders = columns.map((_, i) => (engine === 'sqlite' ? '?' : `$${i + 1}`));
  return `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${placeholders.join(', ')})`;
}

function openWriter(database: BaselineDatabase, senderId: () => string): RowWriter {
  if (database.engine === 'sqlite') {
    const db = new BetterSqlite3(database.file);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const insert = db.prepare(insertSql('messages', MESSAGE_COLUMNS, 'sqlite'));
    return {
      engine: 'sqlite',
      exec: (sql, values) => {
        db.prepare(sql).run(...values);
        return Promise.resolve();
      },
      insertMessage: (row) => {
        insert.run(...messageValues(row, senderId(), 'sqlite'));
        return Promise.resolve();
      },
      close: () => {
        db.close();
        return Promise.resolve();
      },
    };
  }
  const pool = new Pool({ connectionString: database.url, max: 20, options: `-c search_path=${database.schema}` });
  pool.on('error', () => undefined);
  const sql = insertSql('messages', MESSAGE_COLUMNS, 'postgres');
  return {
    engine: 'postgres',
    exec: async (text, values) => {
      await pool.query(text, values);
    },
    insertMessage: async (row) => {
      await pool.query({ name: 'baseline-insert-message', text: sql, values: messageValues(row, senderId(), 'postgres') });
    },
    close: () => pool.end(),
  };
}

function timestamp(engine: Engine, at: Date): string {
  // The formats TypeORM writes: SQLite datetime text, PostgreSQL timestamptz.
  return engine === 'sqlite' ? at.toISOString().replace('T', ' ').replace('Z', '') : at.toISOString();
}

export async function startBaselineServer(database: BaselineDatabase, redisUrl: string, prefix: string): Promise<BaselineServer> {
  const contactId = randomUUID();
  const identityId = randomUUID();
  const conversationId = randomUUID();
  const writer = openWriter(database, () => contactId);
  const engine = writer.engine;
  const at = timestamp(engine, new Date());

  // The one conversation every baseline message belongs to (the messages table's foreign key needs it).
  await writer.exec(insertSql('contacts', ['id', 'name', 'email', 'phone', 'attributes', 'createdAt', 'updatedAt'], engine), [contactId, 'Baseline', null, null, '{}', at, at]);
  await writer.exec(insertSql('channel_identities', ['id', 'contactId', 'channel', 'address', 'createdAt'], engine), [identityId, contactId, 'api', `baseline:${prefix}`, at]);
  await writer.exec(
    insertSql('conversations', ['id', 'contactId', 'channel', 'identityId', 'status', 'assigneeId', 'teamId', 'priority', 'tags', 'snoozedUntil', 'firstResponseAt', 'resolvedAt', 'lastMessageAt', 'createdAt', 'updatedAt'], engine),
    [conversationId, contactId, 'api', identityId, 'open', null, null, 'normal', '[]', null, null, null, at, at, at],
  );

  const queue = new Queue('events', { connection: { url: redisUrl }, prefix });
  queue.on('error', () => undefined);

  let inFlight = 0;
  const app = express();
  app.disable('x-powered-by');
  app.post('/api/v1/inbound', express.json(), async (req, res) => {
    inFlight++;
    res.on('close', () => inFlight--);
    const input = req.body as { sourceId?: unknown; body?: unknown };
    const messageId = randomUUID();
    await writer.insertMessage({
      id: messageId,
      conversationId,
      externalId: `baseline-${String(input.sourceId)}`,
      body: typeof input.body === 'string' ? input.body : '',
      createdAt: timestamp(engine, new Date()),
    });
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
      await writer.close();
      await deleteRedisKeys(redisUrl, prefix);
    },
  };
}
