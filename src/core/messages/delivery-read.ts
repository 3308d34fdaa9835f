import type { Database } from '../database';
import { entityOf, selectList, type Row } from '../model/raw-rows';
import type { ChannelIdentity, Contact, Conversation, Message } from '../model/types';
import { Sql } from '../sql';

/** The same query text on every call, so that PostgreSQL's placeholder conversion is done once. */
const QUERY = `SELECT ${[selectList('m', 'Message'), selectList('c', 'Conversation'), selectList('p', 'Contact'), selectList('i', 'ChannelIdentity')].join(', ')}
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
    message: entityOf(sql, row, 'm', 'Message'),
    conversation: entityOf(sql, row, 'c', 'Conversation'),
    contact: entityOf(sql, row, 'p', 'Contact'),
    identity: entityOf(sql, row, 'i', 'ChannelIdentity'),
  };
}
