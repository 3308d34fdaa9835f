import type { Database } from '../database';
import { CONTACT_COLUMNS, CONVERSATION_COLUMNS, entity, IDENTITY_COLUMNS, MESSAGE_COLUMNS, selectList, type Row } from '../model/raw-rows';
import type { ChannelIdentity, Contact, Conversation, Message } from '../model/types';
import { Sql } from '../sql';

/** The same query text on every call, so that PostgreSQL's placeholder conversion is done once. */
const QUERY = `SELECT ${[selectList('m', MESSAGE_COLUMNS), selectList('c', CONVERSATION_COLUMNS), selectList('p', CONTACT_COLUMNS), selectList('i', IDENTITY_COLUMNS)].join(', ')}
  FROM messages m
  JOIN conversations c ON c.id = m."conversationId"
  JOIN contacts p ON p.id = c."contactId"
  JOIN channel_identities i ON i.id = c."identityId"
  WHERE m.id = ?`;

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
    message: entity<Message>(sql, row, 'm', MESSAGE_COLUMNS),
    conversation: entity<Conversation>(sql, row, 'c', CONVERSATION_COLUMNS),
    contact: entity<Contact>(sql, row, 'p', CONTACT_COLUMNS),
    identity: entity<ChannelIdentity>(sql, row, 'i', IDENTITY_COLUMNS),
  };
}
