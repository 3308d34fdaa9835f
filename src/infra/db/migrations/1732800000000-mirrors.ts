import { Table, TableColumn, TableForeignKey, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Conversations copied where agents work (Slack threads): the copy of each conversation and message, and a Slack channel per team. */
export class Mirrors1732800000000 implements MigrationInterface {
  name = 'Mirrors1732800000000';

  async up(runner: QueryRunner): Promise<void> {
    const timestamp = runner.dataSource.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    await runner.addColumn('teams', new TableColumn({ name: 'slackChannelId', type: 'varchar', length: '32', isNullable: true }));
    await runner.createTable(
      new Table({
        name: 'conversation_mirrors',
        columns: [
          { name: 'conversationId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'target', type: 'varchar', length: '32', isPrimary: true },
          { name: 'location', type: 'varchar', length: '64' },
          { name: 'threadRef', type: 'varchar', length: '64' },
          { name: 'headerState', type: 'varchar', length: '64' },
          { name: 'cursorAt', type: timestamp, isNullable: true },
          { name: 'cursorId', type: 'varchar', length: '36', isNullable: true },
          { name: 'createdAt', type: timestamp },
          { name: 'updatedAt', type: timestamp },
        ],
        foreignKeys: [new TableForeignKey({ columnNames: ['conversationId'], referencedTableName: 'conversations', referencedColumnNames: ['id'], onDelete: 'CASCADE' })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'mirrored_messages',
        columns: [
          { name: 'messageId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'target', type: 'varchar', length: '32', isPrimary: true },
          { name: 'ref', type: 'varchar', length: '64' },
          { name: 'shownStatus', type: 'varchar', length: '16', isNullable: true },
          { name: 'createdAt', type: timestamp },
        ],
        foreignKeys: [new TableForeignKey({ columnNames: ['messageId'], referencedTableName: 'messages', referencedColumnNames: ['id'], onDelete: 'CASCADE' })],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('mirrored_messages');
    await runner.dropTable('conversation_mirrors');
    await runner.dropColumn('teams', 'slackChannelId');
  }
}
