import { Table, TableForeignKey, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The original of a received message (an email's raw MIME) in the database, written in the message's
 * own transaction: one commit makes both durable, where a file beside it cost two more synced writes and
 * was left behind when the message's transaction failed.
 */
export class MessageOriginals1733600000000 implements MigrationInterface {
  name = 'MessageOriginals1733600000000';

  async up(runner: QueryRunner): Promise<void> {
    const postgres = runner.dataSource.options.type === 'postgres';
    await runner.createTable(
      new Table({
        name: 'message_originals',
        columns: [
          { name: 'messageId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'contentType', type: 'varchar', length: '127' },
          { name: 'content', type: postgres ? 'bytea' : 'blob' },
          { name: 'createdAt', type: postgres ? 'timestamptz' : 'datetime' },
        ],
        foreignKeys: [new TableForeignKey({ columnNames: ['messageId'], referencedTableName: 'messages', referencedColumnNames: ['id'], onDelete: 'CASCADE' })],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('message_originals');
  }
}
