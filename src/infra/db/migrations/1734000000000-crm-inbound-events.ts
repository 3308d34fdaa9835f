import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** The events CRMs' webhooks delivered: one row per (provider, event id), so redeliveries change nothing. */
export class CrmInboundEvents1734000000000 implements MigrationInterface {
  name = 'CrmInboundEvents1734000000000';

  async up(runner: QueryRunner): Promise<void> {
    const postgres = runner.dataSource.options.type === 'postgres';
    const timestamp = postgres ? 'timestamptz' : 'datetime';
    await runner.createTable(
      new Table({
        name: 'crm_inbound_events',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'provider', type: 'varchar', length: '32' },
          { name: 'eventId', type: 'varchar', length: '255' },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'payload', type: 'text' },
          { name: 'jobId', type: 'varchar', length: '36' },
          { name: 'position', type: 'integer' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'outcome', type: 'text', isNullable: true },
          { name: 'contactId', type: 'varchar', length: '36', isNullable: true },
          { name: 'receivedAt', type: timestamp },
          { name: 'processedAt', type: timestamp, isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'UQ_crm_inbound_events_event', columnNames: ['provider', 'eventId'], isUnique: true }),
          new TableIndex({ name: 'IDX_crm_inbound_events_status', columnNames: ['status', 'jobId', 'position'] }),
          new TableIndex({ name: 'IDX_crm_inbound_events_received', columnNames: ['receivedAt'] }),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('crm_inbound_events');
  }
}
