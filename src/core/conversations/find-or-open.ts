import type { EntityManager } from 'typeorm';
import { newId } from '../ids';
import { insertOf } from '../model/raw-rows';
import { repo } from '../model/schemas';
import type { ChannelIdentity, Conversation, ConversationStatus } from '../model/types';
import type { Sql } from '../sql';

/** What a customer message did to its conversation; created and reopened ones come with the whole row. */
export type ConversationChange =
  | { kind: 'none'; conversationId: string }
  | { kind: 'created'; conversation: Conversation }
  | { kind: 'reopened'; conversation: Conversation; changes: string[] };

/** Where a message came in, as the channel tells it. */
export interface ArrivalRoute {
  /** The business's address the customer wrote to (a Twilio number): picks the conversation and its team. */
  channelAddress?: string;
  /** The conversation the channel says the message continues (its thread key), tried first. */
  threadId?: string;
  /** False: without a thread key (or when it names no conversation of the channel) a new conversation opens. */
  continuesLatest?: boolean;
  /** The subject a new conversation gets. */
  subject?: string;
}

export interface PlaceRow {
  threadId?: string | null;
  threadStatus?: ConversationStatus | null;
  threadResolvedAt?: Date | string | null;
  latestId?: string | null;
  latestStatus?: ConversationStatus | null;
  latestResolvedAt?: Date | string | null;
  teamId?: string | null;
}

interface Candidate {
  id: string;
  status: ConversationStatus;
  resolvedAt: Date | null;
}

/** Where a message goes: the conversation it may continue, and the team of the inbox it came to. */
export interface Place {
  candidate: Candidate | undefined;
  teamId: string | null;
}

/** The columns and joins that read a message's place, to stand in a statement of their own or in another one's. */
export interface PlaceQuery {
  columns: string[];
  joins: string[];
  params: unknown[];
}

/**
 * What placing a message reads: the conversation its thread key names (when it is of the same
 * channel), the identity's latest conversation with the same business address, and the team of the
 * inbox written to. `identity`: the SQL that names the identity's id (a placeholder, or a column of the
 * statement this is part of).
 */
export function placeQuery(route: ArrivalRoute, channel: string, identity: { sql: string; params: unknown[] }): PlaceQuery {
  const query: PlaceQuery = { columns: [], joins: [], params: [] };
  if (route.threadId !== undefined) {
    query.columns.push('t.id AS "threadId"', 't.status AS "threadStatus"', 't."resolvedAt" AS "threadResolvedAt"');
    query.joins.push('LEFT JOIN conversations t ON t.id = ? AND t.channel = ?');
    query.params.push(route.threadId, channel);
  }
  if (route.continuesLatest !== false) {
    const sameAddress = route.channelAddress === undefined ? '"channelAddress" IS NULL' : '"channelAddress" = ?';
    query.columns.push('l.id AS "latestId"', 'l.status AS "latestStatus"', 'l."resolvedAt" AS "latestResolvedAt"');
    query.joins.push(`LEFT JOIN conversations l ON l.id = (SELECT id FROM conversations WHERE "identityId" = ${identity.sql} AND ${sameAddress} ORDER BY "createdAt" DESC LIMIT 1)`);
    query.params.push(...identity.params, ...(route.channelAddress === undefined ? [] : [route.channelAddress]));
  }
  if (route.channelAddress !== undefined) {
    query.columns.push('ib."teamId" AS "teamId"');
    query.joins.push('LEFT JOIN inboxes ib ON ib.channel = ? AND ib.address = ?');
    query.params.push(channel, route.channelAddress);
  }
  return query;
}

/** The place a row of placeQuery's columns tells. */
export function placeFrom(sql: Sql, row: PlaceRow | undefined): Place {
  const thread = row?.threadId && row.threadStatus ? { id: row.threadId, status: row.threadStatus, resolvedAt: sql.readDate(row.threadResolvedAt ?? null) } : undefined;
  const latest = row?.latestId && row.latestStatus ? { id: row.latestId, status: row.latestStatus, resolvedAt: sql.readDate(row.latestResolvedAt ?? null) } : undefined;
  return { candidate: thread ?? latest, teamId: row?.teamId ?? null };
}

/** Reads a message's place in a statement of its own. */
async function placeOf(sql: Sql, identity: ChannelIdentity, route: ArrivalRoute): Promise<Place> {
  const query = placeQuery(route, identity.channel, { sql: '?', params: [identity.id] });
  if (query.columns.length === 0) return { candidate: undefined, teamId: null };
  const [row] = await sql.rows<PlaceRow>(`SELECT ${query.columns.join(', ')} FROM (SELECT 1 AS one) one ${query.joins.join(' ')}`, query.params);
  return placeFrom(sql, row);
}

/**
 * The conversation a new customer message belongs to: the one its thread key names, when the channel
 * gives one of its own, else the identity's latest conversation with the same business address while
 * it is not resolved (a snoozed one wakes up), a resolved one reopened when the message comes within
 * `reopenWindowMs` of its resolution, else a new conversation, of the team of the inbox written to.
 * `seen`: the place as the caller read it already, with the identity.
 */
export async function findOrOpenConversation(
  manager: EntityManager,
  sql: Sql,
  identity: ChannelIdentity,
  route: ArrivalRoute,
  now: Date,
  reopenWindowMs: number,
  seen?: Place,
): Promise<ConversationChange> {
  // A place read with the identity's lock (in the statement that took it) may predate what a concurrent
  // message of the same sender committed while this one waited: good enough to join an open conversation,
  // which that message would have joined too; anything else (reopen, open anew) is decided on a fresh read.
  const seenOpen = seen?.candidate && seen.candidate.status !== 'resolved' && seen.candidate.status !== 'snoozed' ? seen : undefined;
  const { candidate, teamId } = seenOpen ?? (await placeOf(sql, identity, route));
  const conversations = repo(manager, 'Conversation');

  if (candidate && candidate.status !== 'resolved') {
    if (candidate.status !== 'snoozed') return { kind: 'none', conversationId: candidate.id };
    await conversations.update({ id: candidate.id }, { status: 'open', snoozedUntil: null, updatedAt: now });
    return { kind: 'reopened', conversation: await conversations.findOneByOrFail({ id: candidate.id }), changes: ['status', 'snoozedUntil'] };
  }

  if (candidate?.resolvedAt && now.getTime() - candidate.resolvedAt.getTime() <= reopenWindowMs) {
    await conversations.update({ id: candidate.id }, { status: 'open', resolvedAt: null, updatedAt: now });
    return { kind: 'reopened', conversation: await conversations.findOneByOrFail({ id: candidate.id }), changes: ['status'] };
  }

  const conversation = newConversation(identity, route, teamId, now);
  await sql.runAll([insertOf(sql, 'Conversation', conversation)]);
  return { kind: 'created', conversation };
}

function newConversation(identity: ChannelIdentity, route: ArrivalRoute, teamId: string | null, now: Date): Conversation {
  return {
    id: newId(),
    contactId: identity.contactId,
    channel: identity.channel,
    identityId: identity.id,
    channelAddress: route.channelAddress ?? null,
    subject: route.subject ?? null,
    status: 'open',
    assigneeId: null,
    teamId,
    priority: 'normal',
    tags: [],
    snoozedUntil: null,
    firstResponseAt: null,
    resolvedAt: null,
    agentLastSeenAt: null,
    lastMessageAt: now,
    lastMessagePreview: null,
    createdAt: now,
    updatedAt: now,
  };
}
