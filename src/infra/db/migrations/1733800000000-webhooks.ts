import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Outgoing webhook endpoints and their deliveries (the delivery log and the queue of what is still to send). */
export class Webhooks1733800000000 implements MigrationInterface {
  name = 'Webhooks1733800000000';

  async up(runner: QueryRunner): Promise<void> {
    const postgres = runner.dataSource.options.type === 'postgres';
    const timestamp = postgres ? 'timestamptz' : 'datetime';
    await runner.createTable(
      new Table({
        name: 'webhook_endpoints',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'url', type: 'varchar', length: '2048' },
          { name: 'description', type: 'varchar', length: '500', isNullable: true },
          { name: 'events', type: 'text' },
          { name: 'enabled', type: 'boolean' },
          { name: 'secret', type: 'varchar', length: '128' },
          { name: 'previousSecret', type: 'varchar', length: '128', isNullable: true },
          { name: 'previousSecretExpiresAt', type: timestamp, isNullable: true },
          { name: 'failingSince', type: timestamp, isNullable: true },
          { name: 'disabledAt', type: timestamp, isNullable: true },
          { name: 'disabledReason', type: 'varchar', length: '200', isNullable: true },
          { name: 'createdAt', type: timestamp },
          { name: 'updatedAt', type: timestamp },
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'endpointId', type: 'varchar', length: '36' },
          { name: 'eventId', type: 'varchar', length: '36' },
          { name: 'eventType', type: 'varchar', length: '64' },
          { name: 'orderKey', type: 'varchar', length: '64' },
          { name: 'orderAt', type: timestamp },
          { name: 'orderIndex', type: 'integer' },
          { name: 'body', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'text' },
          { name: 'attemptCount', type: 'integer' },
          { name: 'retriesFrom', type: 'integer' },
          { name: 'claimToken', type: 'varchar', length: '36', isNullable: true },
          { name: 'nextAttemptAt', type: timestamp, isNullable: true },
          { name: 'createdAt', type: timestamp },
          { name: 'updatedAt', type: timestamp },
          { name: 'finishedAt', type: timestamp, isNullable: true },
        ],
        foreignKeys: [new TableForeignKey({ columnNames: ['endpointId'], referencedTableName: 'webhook_endpoints', referencedColumnNames: ['id'], onDelete: 'CASCADE' })],
        indices: [
          new TableIndex({ name: 'UQ_webhook_deliveries_event', columnNames: ['endpointId', 'eventId'], isUnique: true }),
          new TableIndex({ name: 'IDX_webhook_deliveries_order', columnNames: ['endpointId', 'orderKey', 'status', 'orderAt'] }),
          new TableIndex({ name: 'IDX_webhook_deliveries_log', columnNames: ['endpointId', 'createdAt'] }),
          new TableIndex({ name: 'IDX_webhook_deliveries_finished', columnNames: ['finishedAt'] }),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('webhook_deliveries');
    await runner.dropTable('webhook_endpoints');
  }
}
