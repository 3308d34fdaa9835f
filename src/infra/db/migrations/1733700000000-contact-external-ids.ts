import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** A contact's ids in other systems (a CRM's), one per system, looked up by system and id. */
export class ContactExternalIds1733700000000 implements MigrationInterface {
  name = 'ContactExternalIds1733700000000';

  async up(runner: QueryRunner): Promise<void> {
    const postgres = runner.dataSource.options.type === 'postgres';
    await runner.createTable(
      new Table({
        name: 'contact_external_ids',
        columns: [
          { name: 'contactId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'system', type: 'varchar', length: '32', isPrimary: true },
          { name: 'externalId', type: 'varchar', length: '255' },
          { name: 'createdAt', type: postgres ? 'timestamptz' : 'datetime' },
        ],
        foreignKeys: [new TableForeignKey({ columnNames: ['contactId'], referencedTableName: 'contacts', referencedColumnNames: ['id'], onDelete: 'CASCADE' })],
        indices: [new TableIndex({ name: 'UQ_contact_external_ids_system_id', columnNames: ['system', 'externalId'], isUnique: true })],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('contact_external_ids');
  }
}
