import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

/**
 * The web chat widget: websites that embed it, the pages their visitors saw, ratings of resolved
 * conversations, and which agents belong to which team (a website is "online" while one of its team's is).
 */
export class Widget1733000000000 implements MigrationInterface {
  name = 'Widget1733000000000';

  // Long on purpose: a migration writes its schema out in full, once, and never changes.
  async up(runner: QueryRunner): Promise<void> {
    const timestamp = runner.dataSource.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    const id: TableColumnOptions = { name: 'id', type: 'varchar', length: '36', isPrimary: true };
    const ref = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable });
    const at = (name: string, isNullable = false): TableColumnOptions => ({ name, type: timestamp, isNullable });
    const text = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'text', isNullable });
    const short = (name: string, length: number, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable });
    const flag = (name: string): TableColumnOptions => ({ name, type: 'boolean' });
    const references = (column: string, table: string, onDelete: 'CASCADE' | 'SET NULL') =>
      new TableForeignKey({ columnNames: [column], referencedTableName: table, referencedColumnNames: ['id'], onDelete });

    await runner.createTable(
      new Table({
        name: 'team_members',
        columns: [{ ...ref('teamId'), isPrimary: true }, { ...ref('agentId'), isPrimary: true }, at('createdAt')],
        indices: [new TableIndex({ name: 'IDX_team_members_agent', columnNames: ['agentId'] })],
        foreignKeys: [references('teamId', 'teams', 'CASCADE'), references('agentId', 'agents', 'CASCADE')],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'websites',
        columns: [
          id,
          short('key', 64),
          short('name', 200),
          text('allowedOrigins'),
          short('color', 16),
          text('greeting', true),
          text('awayMessage', true),
          short('position', 8),
          short('locale', 8, true),
          ref('teamId', true),
          short('identitySecret', 128),
          flag('requireVerifiedIdentity'),
          flag('preChatForm'),
          flag('recordPageViews'),
          flag('keepQueryStrings'),
          at('createdAt'),
          at('updatedAt'),
        ],
        indices: [new TableIndex({ name: 'UQ_websites_key', columnNames: ['key'], isUnique: true })],
        foreignKeys: [references('teamId', 'teams', 'SET NULL')],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'page_views',
        columns: [
          id,
          ref('contactId'),
          ref('websiteId'),
          ref('conversationId', true),
          text('url'),
          short('title', 500, true),
          text('referrer', true),
          at('viewedAt'),
          { name: 'durationSeconds', type: 'integer', isNullable: true },
          at('createdAt'),
        ],
        indices: [new TableIndex({ name: 'IDX_page_views_contact_viewed', columnNames: ['contactId', 'viewedAt'] })],
        foreignKeys: [references('contactId', 'contacts', 'CASCADE'), references('websiteId', 'websites', 'CASCADE'), references('conversationId', 'conversations', 'SET NULL')],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'ratings',
        columns: [id, ref('conversationId'), ref('contactId'), { name: 'score', type: 'integer' }, text('comment', true), at('createdAt'), at('updatedAt')],
        indices: [new TableIndex({ name: 'UQ_ratings_conversation', columnNames: ['conversationId'], isUnique: true })],
        foreignKeys: [references('conversationId', 'conversations', 'CASCADE'), references('contactId', 'contacts', 'CASCADE')],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('ratings');
    await runner.dropTable('page_views');
    await runner.dropTable('websites');
    await runner.dropTable('team_members');
  }
}
