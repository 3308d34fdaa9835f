import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import {
  EntitySchema,
  type EntityManager,
  type EntitySchemaColumnOptions,
  type EntitySchemaIndexOptions,
  type ObjectLiteral,
  type Repository,
} from 'typeorm';
import type { EntitySchemaForeignKeyOptions } from 'typeorm/entity-schema/EntitySchemaForeignKeyOptions';
import type { Agent, AgentAccount, ApiKey, AuditEntry, ChannelIdentity, Contact, ContactExternalId, ContactMerge, Conversation, ConversationMirror, CrmInboundEvent, FollowUp, HubSecret, IdempotencyRecord, Inbox, Message, MessageOriginal, MirroredMessage, OutboxEvent, PageView, Rating, Team, TeamLocation, TeamMember, Unsubscribe, WebhookDelivery, WebhookEndpoint, Website } from './types';

export type DatabaseEngine = 'sqlite' | 'postgres';

export interface EntityTypes {
  Contact: Contact;
  ContactExternalId: ContactExternalId;
  ContactMerge: ContactMerge;
  ChannelIdentity: ChannelIdentity;
  Conversation: Conversation;
  Message: Message;
  Agent: Agent;
  AgentAccount: AgentAccount;
  Team: Team;
  TeamLocation: TeamLocation;
  ApiKey: ApiKey;
  OutboxEvent: OutboxEvent;
  IdempotencyRecord: IdempotencyRecord;
  AuditEntry: AuditEntry;
  Inbox: Inbox;
  HubSecret: HubSecret;
  ConversationMirror: ConversationMirror;
  MirroredMessage: MirroredMessage;
  MessageOriginal: MessageOriginal;
  TeamMember: TeamMember;
  Website: Website;
  PageView: PageView;
  Rating: Rating;
  FollowUp: FollowUp;
  Unsubscribe: Unsubscribe;
  WebhookEndpoint: WebhookEndpoint;
  WebhookDelivery: WebhookDelivery;
  CrmInboundEvent: CrmInboundEvent;
}
export type EntityName = keyof EntityTypes;

/**
 * Inserts whole rows. TypeORM's insert type cannot see through JSON columns typed `unknown`; the rows
 * here are complete entities, so the cast is safe.
 */
export async function insertRows<K extends EntityName>(manager: EntityManager, name: K, rows: EntityTypes[K] | EntityTypes[K][]): Promise<void> {
  await manager.getRepository<EntityTypes[K]>(name).insert(rows as QueryDeepPartialEntity<EntityTypes[K]>);
}

/** Updates rows by id with changes that may hold JSON columns (see insertRows for the cast). */
export async function updateRow<K extends EntityName>(manager: EntityManager, name: K, id: string, changes: Partial<EntityTypes[K]>): Promise<number> {
  const result = await manager.getRepository<EntityTypes[K]>(name).update(id, changes as QueryDeepPartialEntity<EntityTypes[K]>);
  return result.affected ?? 0;
}

/** The entities with an `id` of their own (not a composite key). */
type IdentifiedEntity = { [N in EntityName]: EntityTypes[N] extends { id: string } ? N : never }[EntityName];

/**
 * Loads a row by id for change inside a transaction: locked on PostgreSQL, so that concurrent changes of
 * it take turns (SQLite's transactions take turns already). Null when there is no such row.
 */
export function lockRow<K extends IdentifiedEntity>(manager: EntityManager, engine: DatabaseEngine, name: K, id: string): Promise<EntityTypes[K] | null> {
  const query = repo(manager, name).createQueryBuilder('row').where('row.id = :id', { id });
  if (engine === 'postgres') query.setLock('pessimistic_write');
  return query.getOne();
}

/** The repository of an entity by its name, typed. */
export function repo<K extends EntityName>(manager: EntityManager, name: K): Repository<EntityTypes[K]> {
  return manager.getRepository<EntityTypes[K]>(name);
}

type Columns<T> = { [P in keyof T]: EntitySchemaColumnOptions };

interface Constraints {
  indices?: EntitySchemaIndexOptions[];
  foreignKeys?: EntitySchemaForeignKeyOptions[];
}

const index = (name: string, columns: string[], unique = false): EntitySchemaIndexOptions => ({ name, columns, unique });
const references = (column: string, target: EntityName, onDelete: 'CASCADE' | 'SET NULL'): EntitySchemaForeignKeyOptions => ({
  target,
  columnNames: [column],
  referencedColumnNames: ['id'],
  onDelete,
});

// Long on purpose: one declarative entry per table, read as the schema itself; splitting it would scatter the model.
/**
 * Table mappings for one engine. Only timestamps differ: PostgreSQL stores them with their time zone,
 * SQLite as UTC text. The tables themselves are created by migrations, never by `synchronize`; their
 * indexes and foreign keys are declared here too, so that a test can check migrations and mappings agree.
 */
export function entitySchemas(engine: DatabaseEngine): EntitySchema[] {
  const timestamp = engine === 'postgres' ? 'timestamptz' : 'datetime';
  const id: EntitySchemaColumnOptions = { type: 'varchar', length: 36, primary: true };
  const ref = (nullable = false): EntitySchemaColumnOptions => ({ type: 'varchar', length: 36, nullable });
  const at = (nullable = false): EntitySchemaColumnOptions => ({ type: timestamp, nullable });
  const text = (nullable = false): EntitySchemaColumnOptions => ({ type: 'text', nullable });
  const short = (length: number, nullable = false): EntitySchemaColumnOptions => ({ type: 'varchar', length, nullable });
  const json = (nullable = false): EntitySchemaColumnOptions => ({ type: 'simple-json', nullable });
  const afterResolve = {
    followUpDelayHours: { type: engine === 'postgres' ? 'double precision' : 'real', nullable: true },
    transcriptOnResolve: { type: 'boolean', nullable: true },
  } satisfies Record<string, EntitySchemaColumnOptions>;

  function schema<K extends EntityName>(name: K, tableName: string, columns: Columns<EntityTypes[K]>, constraints: Constraints = {}): EntitySchema {
    // typeorm declares the options as a class, but documents and uses them as a plain object.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    return new EntitySchema<ObjectLiteral>({ name, tableName, columns, ...constraints });
  }

  return [
    schema('Contact', 'contacts', {
      id,
      name: short(200, true),
      email: short(320, true),
      phone: short(32, true),
      attributes: json(),
      createdAt: at(),
      updatedAt: at(),
    }, { indices: [index('IDX_contacts_email', ['email']), index('IDX_contacts_phone', ['phone'])] }),
    schema('ContactExternalId', 'contact_external_ids', {
      contactId: { ...ref(), primary: true },
      system: { ...short(32), primary: true },
      externalId: short(255),
      createdAt: at(),
    }, {
        indices: [index('UQ_contact_external_ids_system_id', ['system', 'externalId'], true)],
        foreignKeys: [references('contactId', 'Contact', 'CASCADE')],
      }),
    schema('ContactMerge', 'contact_merges', {
      id,
      targetId: ref(),
      sourceId: ref(),
      snapshot: json(),
      createdAt: at(),
      undoneAt: at(true),
    }, { indices: [index('IDX_contact_merges_target', ['targetId', 'createdAt'])] }),
    schema('ChannelIdentity', 'channel_identities', {
      id,
      contactId: ref(),
      channel: short(32),
      address: short(320),
      optedOutAt: at(true),
      createdAt: at(),
    }, {
        indices: [index('UQ_identities_channel_address', ['channel', 'address'], true), index('IDX_identities_contact', ['contactId'])],
        foreignKeys: [references('contactId', 'Contact', 'CASCADE')],
      }),
    schema('Conversation', 'conversations', {
      id,
      contactId: ref(),
      channel: short(32),
      identityId: ref(),
      channelAddress: short(320, true),
      subject: short(500, true),
      status: short(16),
      assigneeId: ref(true),
      teamId: ref(true),
      priority: short(16),
      tags: json(),
      snoozedUntil: at(true),
      firstResponseAt: at(true),
      resolvedAt: at(true),
      agentLastSeenAt: at(true),
      lastMessageAt: at(),
      lastMessagePreview: short(200, true),
      createdAt: at(),
      updatedAt: at(),
    }, {
        indices: [
          index('IDX_conversations_contact', ['contactId']),
          index('IDX_conversations_identity', ['identityId', 'createdAt']),
          index('IDX_conversations_activity', ['lastMessageAt', 'id']),
          index('IDX_conversations_status', ['status', 'lastMessageAt']),
          index('IDX_conversations_assignee', ['assigneeId', 'lastMessageAt']),
        ],
        foreignKeys: [
          references('contactId', 'Contact', 'CASCADE'),
          references('identityId', 'ChannelIdentity', 'CASCADE'),
          references('assigneeId', 'Agent', 'SET NULL'),
          references('teamId', 'Team', 'SET NULL'),
        ],
      }),
    schema('Message', 'messages', {
      id,
      conversationId: ref(),
      channel: short(32),
      direction: short(16),
      senderKind: short(16),
      senderId: ref(true),
      body: text(),
      attachments: json(),
      externalId: short(255, true),
      deliveryStatus: short(16),
      failureReason: text(true),
      statusChangedAt: at(true),
      private: { type: 'boolean' },
      metadata: json(),
      createdAt: at(),
    }, {
        indices: [index('UQ_messages_channel_direction_external_id', ['channel', 'direction', 'externalId'], true), index('IDX_messages_conversation', ['conversationId', 'createdAt'])],
        foreignKeys: [references('conversationId', 'Conversation', 'CASCADE')],
      }),
    schema('Agent', 'agents', {
      id,
      name: short(200),
      email: short(320),
      status: short(16),
      capacity: { type: 'integer' },
      createdAt: at(),
      updatedAt: at(),
    }, { indices: [index('UQ_agents_email', ['email'], true)] }),
    schema('AgentAccount', 'agent_accounts', {
      channel: { type: 'varchar', length: 32, primary: true },
      accountId: { type: 'varchar', length: 64, primary: true },
      agentId: ref(),
    }, { indices: [index('UQ_agent_accounts_agent', ['agentId', 'channel'], true)], foreignKeys: [references('agentId', 'Agent', 'CASCADE')] }),
    schema('Team', 'teams', { id, name: short(200), ...afterResolve, createdAt: at(), updatedAt: at() }, { indices: [index('UQ_teams_name', ['name'], true)] }),
    schema('TeamLocation', 'team_locations', {
      teamId: { type: 'varchar', length: 36, primary: true },
      channel: { type: 'varchar', length: 32, primary: true },
      location: short(64),
    }, { foreignKeys: [references('teamId', 'Team', 'CASCADE')] }),
    schema('Inbox', 'inboxes', {
      id,
      channel: short(32),
      address: short(320),
      name: short(200, true),
      teamId: ref(true),
      createdAt: at(),
      updatedAt: at(),
    }, {
        indices: [index('UQ_inboxes_channel_address', ['channel', 'address'], true)],
        foreignKeys: [references('teamId', 'Team', 'SET NULL')],
      }),
    schema('ConversationMirror', 'conversation_mirrors', {
      conversationId: { type: 'varchar', length: 36, primary: true },
      target: { type: 'varchar', length: 32, primary: true },
      location: short(64),
      threadRef: short(64),
      headerState: short(64),
      cursorAt: at(true),
      cursorId: ref(true),
      createdAt: at(),
      updatedAt: at(),
    }, {
        indices: [index('IDX_conversation_mirrors_thread', ['target', 'location', 'threadRef'])],
        foreignKeys: [references('conversationId', 'Conversation', 'CASCADE')],
      }),
    schema('MirroredMessage', 'mirrored_messages', {
      messageId: { type: 'varchar', length: 36, primary: true },
      target: { type: 'varchar', length: 32, primary: true },
      ref: short(64),
      shownStatus: short(16, true),
      copiedFiles: json(true),
      createdAt: at(),
    }, { foreignKeys: [references('messageId', 'Message', 'CASCADE')] }),
    schema('MessageOriginal', 'message_originals', {
      messageId: { type: 'varchar', length: 36, primary: true },
      contentType: short(127),
      content: { type: engine === 'postgres' ? 'bytea' : 'blob' },
      createdAt: at(),
    }, { foreignKeys: [references('messageId', 'Message', 'CASCADE')] }),
    schema('TeamMember', 'team_members', {
      teamId: { type: 'varchar', length: 36, primary: true },
      agentId: { type: 'varchar', length: 36, primary: true },
      createdAt: at(),
    }, {
        indices: [index('IDX_team_members_agent', ['agentId'])],
        foreignKeys: [references('teamId', 'Team', 'CASCADE'), references('agentId', 'Agent', 'CASCADE')],
      }),
    schema('Website', 'websites', {
      id,
      key: short(64),
      name: short(200),
      allowedOrigins: json(),
      color: short(16),
      greeting: text(true),
      awayMessage: text(true),
      position: short(8),
      locale: short(8, true),
      teamId: ref(true),
      identitySecret: short(128),
      requireVerifiedIdentity: { type: 'boolean' },
      preChatForm: { type: 'boolean' },
      recordPageViews: { type: 'boolean' },
      keepQueryStrings: { type: 'boolean' },
      ...afterResolve,
      createdAt: at(),
      updatedAt: at(),
    }, {
        indices: [index('UQ_websites_key', ['key'], true)],
        foreignKeys: [references('teamId', 'Team', 'SET NULL')],
      }),
    schema('PageView', 'page_views', {
      id,
      contactId: ref(),
      websiteId: ref(),
      conversationId: ref(true),
      url: text(),
      title: short(500, true),
      referrer: text(true),
      viewedAt: at(),
      durationSeconds: { type: 'integer', nullable: true },
      createdAt: at(),
    }, {
        indices: [index('IDX_page_views_contact_viewed', ['contactId', 'viewedAt'])],
        foreignKeys: [references('contactId', 'Contact', 'CASCADE'), references('websiteId', 'Website', 'CASCADE'), references('conversationId', 'Conversation', 'SET NULL')],
      }),
    schema('Rating', 'ratings', {
      id,
      conversationId: ref(),
      contactId: ref(),
      score: { type: 'integer' },
      comment: text(true),
      createdAt: at(),
      updatedAt: at(),
    }, {
        indices: [index('UQ_ratings_conversation', ['conversationId'], true)],
        foreignKeys: [references('conversationId', 'Conversation', 'CASCADE'), references('contactId', 'Contact', 'CASCADE')],
      }),
    schema('FollowUp', 'follow_ups', {
      id,
      conversationId: ref(),
      channel: short(32),
      kind: short(16),
      occasion: short(64),
      address: short(320),
      status: short(16),
      dueAt: at(),
      sentAt: at(true),
      failureReason: text(true),
      createdAt: at(),
    }, {
        indices: [index('UQ_follow_ups_occasion', ['conversationId', 'kind', 'occasion'], true), index('IDX_follow_ups_due', ['status', 'dueAt'])],
        foreignKeys: [references('conversationId', 'Conversation', 'CASCADE')],
      }),
    schema('Unsubscribe', 'unsubscribes', {
      channel: { type: 'varchar', length: 32, primary: true },
      address: { type: 'varchar', length: 320, primary: true },
      createdAt: at(),
    }),
    schema('HubSecret', 'hub_secrets', { name: { type: 'varchar', length: 64, primary: true }, value: short(128), createdAt: at() }),
    schema('ApiKey', 'api_keys', {
      id,
      name: short(200),
      prefix: short(32),
      hash: short(64),
      scopes: json(),
      agentId: ref(true),
      createdAt: at(),
      lastUsedAt: at(true),
      revokedAt: at(true),
    }, {
        indices: [index('UQ_api_keys_hash', ['hash'], true)],
        foreignKeys: [references('agentId', 'Agent', 'SET NULL')],
      }),
    schema('OutboxEvent', 'outbox_events', {
      id,
      queue: short(64),
      name: short(64),
      payload: json(),
      conversationId: ref(true),
      runAt: at(true),
      createdAt: at(),
    }, { indices: [index('IDX_outbox_created', ['createdAt'])] }),
    schema('IdempotencyRecord', 'idempotency_keys', {
      id,
      apiKeyId: ref(),
      key: short(255),
      requestHash: short(64),
      result: json(),
      createdAt: at(),
    }, { indices: [index('UQ_idempotency_key', ['apiKeyId', 'key'], true), index('IDX_idempotency_created', ['createdAt'])] }),
    schema('AuditEntry', 'audit_entries', {
      id,
      actorType: short(16),
      actorId: short(64, true),
      action: short(64),
      entityType: short(32),
      entityId: short(64),
      before: json(true),
      after: json(true),
      createdAt: at(),
    }, { indices: [index('IDX_audit_entity', ['entityType', 'entityId']), index('IDX_audit_created', ['createdAt'])] }),
    schema('WebhookEndpoint', 'webhook_endpoints', {
      id,
      url: short(2048),
      description: short(500, true),
      events: json(),
      enabled: { type: 'boolean' },
      secret: short(128),
      previousSecret: short(128, true),
      previousSecretExpiresAt: at(true),
      failingSince: at(true),
      disabledAt: at(true),
      disabledReason: short(200, true),
      createdAt: at(),
      updatedAt: at(),
    }),
    schema('WebhookDelivery', 'webhook_deliveries', {
      id,
      endpointId: ref(),
      eventId: ref(),
      eventType: short(64),
      orderKey: short(64),
      orderAt: at(),
      orderIndex: { type: 'integer' },
      body: text(),
      status: short(16),
      attempts: json(),
      attemptCount: { type: 'integer' },
      retriesFrom: { type: 'integer' },
      claimToken: short(36, true),
      nextAttemptAt: at(true),
      createdAt: at(),
      updatedAt: at(),
      finishedAt: at(true),
    }, {
        indices: [
          index('UQ_webhook_deliveries_event', ['endpointId', 'eventId'], true),
          index('IDX_webhook_deliveries_order', ['endpointId', 'orderKey', 'status', 'orderAt']),
          index('IDX_webhook_deliveries_log', ['endpointId', 'createdAt']),
          index('IDX_webhook_deliveries_finished', ['finishedAt']),
        ],
        foreignKeys: [references('endpointId', 'WebhookEndpoint', 'CASCADE')],
      }),
    schema('CrmInboundEvent', 'crm_inbound_events', {
      id,
      provider: short(32),
      eventId: short(255),
      type: short(64),
      payload: json(),
      jobId: ref(),
      position: { type: 'integer' },
      status: short(16),
      outcome: text(true),
      contactId: ref(true),
      receivedAt: at(),
      processedAt: at(true),
    }, {
        indices: [
          index('UQ_crm_inbound_events_event', ['provider', 'eventId'], true),
          index('IDX_crm_inbound_events_status', ['status', 'jobId', 'position']),
          index('IDX_crm_inbound_events_received', ['receivedAt']),
        ],
      }),
  ];
}
