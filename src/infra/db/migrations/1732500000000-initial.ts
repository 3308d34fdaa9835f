import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

/**
 * Written with TypeORM's schema builder rather than SQL so that one migration serves SQLite and
 * PostgreSQL; the only engine-specific choice is the timestamp type.
 */
export class Initial1732500000000 implements MigrationInterface {
  name = 'Initial1732500000000';

  // Long on purpose: a migration writes its schema out in full, once, and never changes.
  async up(runner: QueryRunner): Promise<void> {
    const timestamp = runner.dataSource.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    const id: TableColumnOptions = { name: 'id', type: 'varchar', length: '36', isPrimary: true };
    const ref = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable });
    const at = (name: string, isNullable = false): TableColumnOptions => ({ name, type: timestamp, isNullable });
    const short = (name: string, length: number, isNullable = false): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable,
    });
    const text = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'text', isNullable });
    const fk = (column: string, table: string, onDelete: 'CASCADE' | 'SET NULL' | 'RESTRICT') =>
      new TableForeignKey({ columnNames: [column], referencedTableName: table, referencedColumnNames: ['id'], onDelete });
    const index = (name: string, columnNames: string[], isUnique = false) => new TableIndex({ name, columnNames, isUnique });

    await runner.createTable(
      new Table({
        name: 'contacts',
        columns: [id, short('name', 200, true), short('email', 320, true), short('phone', 32, true), text('attributes'), at('createdAt'), at('updatedAt')],
        indices: [index('IDX_contacts_email', ['email']), index('IDX_contacts_phone', ['phone'])],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'agents',
        columns: [
          id,
          short('name', 200),
          short('email', 320),
          short('slackUserId', 64, true),
          short('status', 16),
          { name: 'capacity', type: 'integer' },
          at('createdAt'),
          at('updatedAt'),
        ],
        indices: [index('UQ_agents_email', ['email'], true), index('UQ_agents_slack_user', ['slackUserId'], true)],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'teams',
        columns: [id, short('name', 200), at('createdAt'), at('updatedAt')],
        indices: [index('UQ_teams_name', ['name'], true)],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'channel_identities',
        columns: [id, ref('contactId'), short('channel', 32), short('address', 320), at('createdAt')],
        indices: [index('UQ_identities_channel_address', ['channel', 'address'], true), index('IDX_identities_contact', ['contactId'])],
        foreignKeys: [fk('contactId', 'contacts', 'CASCADE')],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'conversations',
        columns: [
          id,
          ref('contactId'),
          short('channel', 32),
          ref('identityId'),
          short('status', 16),
          ref('assigneeId', true),
          ref('teamId', true),
          short('priority', 16),
          text('tags'),
          at('snoozedUntil', true),
          at('firstResponseAt', true),
          at('resolvedAt', true),
          at('lastMessageAt'),
          at('createdAt'),
          at('updatedAt'),
        ],
        indices: [
          index('IDX_conversations_contact', ['contactId']),
          index('IDX_conversations_identity', ['identityId', 'createdAt']),
          index('IDX_conversations_activity', ['lastMessageAt', 'id']),
          index('IDX_conversations_status', ['status', 'lastMessageAt']),
        ],
        foreignKeys: [
          fk('contactId', 'contacts', 'CASCADE'),
          fk('identityId', 'channel_identities', 'CASCADE'),
          fk('assigneeId', 'agents', 'SET NULL'),
          fk('teamId', 'teams', 'SET NULL'),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'messages',
        columns: [
          id,
          ref('conversationId'),
          short('channel', 32),
          short('direction', 16),
          short('senderKind', 16),
          ref('senderId', true),
          text('body'),
          text('attachments'),
          short('externalId', 255, true),
          short('deliveryStatus', 16),
          text('failureReason', true),
          { name: 'private', type: 'boolean' },
          text('metadata'),
          at('createdAt'),
        ],
        indices: [
          index('UQ_messages_channel_external_id', ['channel', 'externalId'], true),
          index('IDX_messages_conversation', ['conversationId', 'createdAt']),
        ],
        foreignKeys: [fk('conversationId', 'conversations', 'CASCADE')],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          id,
          short('name', 200),
          short('prefix', 32),
          short('hash', 64),
          text('scopes'),
          ref('agentId', true),
          at('createdAt'),
          at('lastUsedAt', true),
          at('revokedAt', true),
        ],
        indices: [index('UQ_api_keys_hash', ['hash'], true)],
        foreignKeys: [fk('agentId', 'agents', 'SET NULL')],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'outbox_events',
        columns: [id, short('queue', 64), short('name', 64), text('payload'), ref('conversationId', true), at('createdAt')],
        indices: [index('IDX_outbox_created', ['createdAt'])],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'audit_entries',
        columns: [
          id,
          short('actorType', 16),
          short('actorId', 64, true),
          short('action', 64),
          short('entityType', 32),
          short('entityId', 64),
          text('before', true),
          text('after', true),
          at('createdAt'),
        ],
        indices: [index('IDX_audit_entity', ['entityType', 'entityId']), index('IDX_audit_created', ['createdAt'])],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['audit_entries', 'outbox_events', 'api_keys', 'messages', 'conversations', 'channel_identities', 'teams', 'agents', 'contacts']) {
      await runner.dropTable(table);
    }
  }
}
