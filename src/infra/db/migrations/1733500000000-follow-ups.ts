import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

/**
 * What the hub sends a customer by itself after resolution (a follow-up asking for a rating, the
 * transcript), each once per occasion; the addresses that asked for none of it; and the team's and the
 * website's settings of both.
 */
export class FollowUps1733500000000 implements MigrationInterface {
  name = 'FollowUps1733500000000';

  async up(runner: QueryRunner): Promise<void> {
    const postgres = runner.dataSource.options.type === 'postgres';
    const timestamp = postgres ? 'timestamptz' : 'datetime';
    const at = (name: string, isNullable = false): TableColumnOptions => ({ name, type: timestamp, isNullable });
    const short = (name: string, length: number): TableColumnOptions => ({ name, type: 'varchar', length: String(length) });

    // Plain ALTERs: TypeORM's addColumn on SQLite rebuilds the table from a stale picture of it.
    for (const table of ['teams', 'websites']) {
      await runner.query(`ALTER TABLE ${table} ADD COLUMN "followUpDelayHours" ${postgres ? 'double precision' : 'real'}`);
      await runner.query(`ALTER TABLE ${table} ADD COLUMN "transcriptOnResolve" boolean`);
    }
    await runner.createTable(
      new Table({
        name: 'follow_ups',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'conversationId', type: 'varchar', length: '36' },
          short('channel', 32),
          short('kind', 16),
          short('occasion', 64),
          short('address', 320),
          short('status', 16),
          at('dueAt'),
          at('sentAt', true),
          { name: 'failureReason', type: 'text', isNullable: true },
          at('createdAt'),
        ],
        indices: [
          new TableIndex({ name: 'UQ_follow_ups_occasion', columnNames: ['conversationId', 'kind', 'occasion'], isUnique: true }),
          new TableIndex({ name: 'IDX_follow_ups_due', columnNames: ['status', 'dueAt'] }),
        ],
        foreignKeys: [new TableForeignKey({ columnNames: ['conversationId'], referencedTableName: 'conversations', referencedColumnNames: ['id'], onDelete: 'CASCADE' })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'unsubscribes',
        columns: [{ ...short('channel', 32), isPrimary: true }, { ...short('address', 320), isPrimary: true }, at('createdAt')],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('unsubscribes');
    await runner.dropTable('follow_ups');
    for (const table of ['websites', 'teams']) {
      await runner.query(`ALTER TABLE ${table} DROP COLUMN "transcriptOnResolve"`);
      await runner.query(`ALTER TABLE ${table} DROP COLUMN "followUpDelayHours"`);
    }
  }
}
