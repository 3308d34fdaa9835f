import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { Pool } from 'pg';
import type { Engine } from './hub';

/** Where a baseline writes: the hub's own SQLite file, or the hub's PostgreSQL schema. */
export type BaselineDatabase = { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string; schema: string };

/** What a baseline stores per message; the rest of the row is fixed. */
export interface BaselineMessage {
  externalId: string;
  body: string;
}

/**
 * A baseline's single INSERT per message into the hub's own `messages` table (same engine, same file or
 * schema, same indexes), under one contact and conversation of its own that the table's foreign keys need.
 */
export interface BaselineStore {
  engine: Engine;
  conversationId: string;
  /** One INSERT; resolves with the new row's id. */
  insertMessage(message: BaselineMessage): Promise<string>;
  close(): Promise<void>;
}

interface RowWriter {
  engine: Engine;
  exec(sql: string, values: unknown[]): Promise<void>;
  insert(values: unknown[]): Promise<void>;
  close(): Promise<void>;
}

const MESSAGE_COLUMNS = ['id', 'conversationId', 'channel', 'direction', 'senderKind', 'senderId', 'body', 'attachments', 'externalId', 'deliveryStatus', 'failureReason', 'private', 'metadata', 'createdAt'];

function insertSql(table: string, columns: string[], engine: Engine): string {
  const placeholders = columns.map((_, i) => (engine === 'sqlite' ? '?' : `$${i + 1}`));
  return `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${placeholders.join(', ')})`;
}

function openWriter(database: BaselineDatabase): RowWriter {
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
      insert: (values) => {
        insert.run(...values);
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
    insert: async (values) => {
      await pool.query({ name: 'baseline-insert-message', text: sql, values });
    },
    close: () => pool.end(),
  };
}

function timestamp(engine: Engine, at: Date): string {
  // The formats TypeORM writes: SQLite datetime text, PostgreSQL timestamptz.
  return engine === 'sqlite' ? at.toISOString().replace('T', ' ').replace('Z', '') : at.toISOString();
}

/** `channel` and `address`: the channel and the customer address of the baseline's own conversation. */
export async function openBaselineStore(database: BaselineDatabase, channel: string, address: string): Promise<BaselineStore> {
  const contactId = randomUUID();
  const identityId = randomUUID();
  const conversationId = randomUUID();
  const writer = openWriter(database);
  const engine = writer.engine;
  const at = timestamp(engine, new Date());

  await writer.exec(insertSql('contacts', ['id', 'name', 'email', 'phone', 'attributes', 'createdAt', 'updatedAt'], engine), [contactId, 'Baseline', null, null, '{}', at, at]);
  await writer.exec(insertSql('channel_identities', ['id', 'contactId', 'channel', 'address', 'createdAt'], engine), [identityId, contactId, channel, address, at]);
  await writer.exec(
    insertSql('conversations', ['id', 'contactId', 'channel', 'identityId', 'status', 'assigneeId', 'teamId', 'priority', 'tags', 'snoozedUntil', 'firstResponseAt', 'resolvedAt', 'lastMessageAt', 'createdAt', 'updatedAt'], engine),
    [conversationId, contactId, channel, identityId, 'open', null, null, 'normal', '[]', null, null, null, at, at, at],
  );

  return {
    engine,
    conversationId,
    async insertMessage({ externalId, body }) {
      const id = randomUUID();
      const created = timestamp(engine, new Date());
      await writer.insert([id, conversationId, channel, 'inbound', 'contact', contactId, body, '[]', externalId, 'received', null, engine === 'sqlite' ? 0 : false, '{}', created]);
      return id;
    },
    close: () => writer.close(),
  };
}
