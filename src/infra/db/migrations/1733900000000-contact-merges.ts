import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Merges of one contact into another with what each moved, so that a merge can be undone. No foreign
 * key on the target: a merge stays when its target is merged into a third contact (it follows it there).
 */
export class ContactMerges1733900000000 implements MigrationInterface {
  name = 'ContactMerges1733900000000';

  async up(runner: QueryRunner): Promise<void> {
    const timestamp = runner.dataSource.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    await runner.createTable(
      new Table({
        name: 'contact_merges',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'targetId', type: 'varchar', length: '36' },
          { name: 'sourceId', type: 'varchar', length: '36' },
          { name: 'snapshot', type: 'text' },
          { name: 'createdAt', type: timestamp },
          { name: 'undoneAt', type: timestamp, isNullable: true },
        ],
        indices: [new TableIndex({ name: 'IDX_contact_merges_target', columnNames: ['targetId', 'createdAt'] })],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('contact_merges');
  }
}
