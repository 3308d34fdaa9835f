import type { Database } from '../database';
import type { ChannelIdentity, Contact, Conversation, Message } from '../model/types';
import { Sql } from '../sql';

/** How a column comes back from a raw query and must be turned into what the entity holds (see schemas.ts). */
type Kind = 'plain' | 'date' | 'json' | 'bool';

/** Every column of each entity the delivery worker reads, by kind; `satisfies` keeps the lists complete. */
const MESSAGE = {
  id: 'plain',
  conversationId: 'plain',
  channel: 'plain',
  direction: 'plain',
  senderKind: 'plain',
  senderId: 'plain',
  body: 'plain',
  attachments: 'json',
  externalId: 'plain',
  deliveryStatus: 'plain',
  failureReason: 'plain',
  statusChangedAt: 'date',
  private: 'bool',
  metadata: 'json',
  createdAt: 'date',
} as const satisfies Record<keyof Message, Kind>;

const CONVERSATION = {
  id: 'plain',
  contactId: 'plain',
  channel: 'plain',
  identityId: 'plain',
  channelAddress: 'plain',
  subject: 'plain',
  status: 'plain',
  assigneeId: 'plain',
  teamId: 'plain',
  priority: 'plain',
  tags: 'json',
  snoozedUntil: 'date',
  firstResponseAt: 'date',
  resolvedAt: 'date',
  agentLastSeenAt: 'date',
  lastMessageAt: 'date',
  lastMessagePreview: 'plain',
  createdAt: 'date',
  updatedAt: 'date',
} as const satisfies Record<keyof Conversation, Kind>;

const CONTACT = {
  id: 'plain',
  name: 'plain',
  email: 'plain',
  phone: 'plain',
  attributes: 'json',
  createdAt: 'date',
  updatedAt: 'date',
} as const satisfies Record<keyof Contact, Kind>;

const IDENTITY = {
  id: 'plain',
  contactId: 'plain',
  channel: 'plain',
  address: 'plain',
  optedOutAt: 'date',
  createdAt: 'date',
} as const satisfies Record<keyof ChannelIdentity, Kind>;

type Row = Record<string, unknown>;

function selectList(alias: string, columns: Record<string, Kind>): string {
  return Object.keys(columns)
    .map((column) => `${alias}."${column}" AS "${alias}_${column}"`)
    .join(', ');
}

/** The same query text on every call, so that PostgreSQL's placeholder conversion is done once. */
const QUERY = `SELECT ${[selectList('m', MESSAGE), selectList('c', CONVERSATION), selectList('p', CONTACT), selectList('i', IDENTITY)].join(', ')}
  FROM messages m
  JOIN conversations c ON c.id = m."conversationId"
  JOIN contacts p ON p.id = c."contactId"
  JOIN channel_identities i ON i.id = c."identityId"
  WHERE m.id = ?`;

/**
 * One entity from its aliased columns, as TypeORM hydrates it: SQLite gives dates as UTC text and
 * booleans as 0/1, and both engines give simple-json columns as text.
 */
function entity<T>(sql: Sql, row: Row, alias: string, columns: Record<keyof T & string, Kind>): T {
  const mapped: Row = {};
  for (const [column, kind] of Object.entries<Kind>(columns)) {
    const value = row[`${alias}_${column}`];
    if (value === null || value === undefined) mapped[column] = null;
    else if (kind === 'date') mapped[column] = sql.readDate(value as Date | string);
    else if (kind === 'json') mapped[column] = typeof value === 'string' ? JSON.parse(value) : value;
    else if (kind === 'bool') mapped[column] = value === true || value === 1;
    else mapped[column] = value;
  }
  return mapped as T;
}

export interface DeliveryRead {
  message: Message;
  conversation: Conversation;
  contact: Contact;
  identity: ChannelIdentity;
}

/**
 * A message with its conversation, contact and channel identity, in one query (the delivery worker's
 * hot path; four repository reads cost more than sending on a fast channel). `skipped` when the message
 * is gone or no longer queued: the rest is then not mapped. The foreign keys cascade, so a message
 * always has the other three.
 */
export async function readForDelivery(db: Database, messageId: string): Promise<DeliveryRead | 'skipped'> {
  const sql = new Sql(db.manager, db.engine);
  const [row] = await sql.rows<Row>(QUERY, [messageId]);
  if (!row || row.m_deliveryStatus !== 'queued') return 'skipped';
  return {
    message: entity<Message>(sql, row, 'm', MESSAGE),
    conversation: entity<Conversation>(sql, row, 'c', CONVERSATION),
    contact: entity<Contact>(sql, row, 'p', CONTACT),
    identity: entity<ChannelIdentity>(sql, row, 'i', IDENTITY),
  };
}
