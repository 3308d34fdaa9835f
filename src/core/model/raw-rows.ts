import type { ChannelIdentity, Contact, Conversation, Message } from './types';
import type { Sql } from '../sql';

/** How a column comes back from a raw query and must be turned into what the entity holds (see schemas.ts). */
type Kind = 'plain' | 'date' | 'json' | 'bool';

/** Every column of the entities the hot path reads in plain SQL, by kind; `satisfies` keeps the lists complete. */
export const MESSAGE_COLUMNS = {
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

export const CONVERSATION_COLUMNS = {
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

export const CONTACT_COLUMNS = {
  id: 'plain',
  name: 'plain',
  email: 'plain',
  phone: 'plain',
  attributes: 'json',
  createdAt: 'date',
  updatedAt: 'date',
} as const satisfies Record<keyof Contact, Kind>;

export const IDENTITY_COLUMNS = {
  id: 'plain',
  contactId: 'plain',
  channel: 'plain',
  address: 'plain',
  optedOutAt: 'date',
  createdAt: 'date',
} as const satisfies Record<keyof ChannelIdentity, Kind>;

export type Row = Record<string, unknown>;

/** The columns of an entity under a table alias, each as `alias_column`. */
export function selectList(alias: string, columns: Record<string, Kind>): string {
  return Object.keys(columns)
    .map((column) => `${alias}."${column}" AS "${alias}_${column}"`)
    .join(', ');
}

/**
 * One entity from its aliased columns, as TypeORM hydrates it: SQLite gives dates as UTC text and
 * booleans as 0/1, and both engines give simple-json columns as text.
 */
export function entity<T>(sql: Sql, row: Row, alias: string, columns: Record<keyof T & string, Kind>): T {
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
