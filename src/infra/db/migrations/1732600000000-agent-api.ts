import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** What the agent API needs: read markers and previews on conversations, delayed outbox rows, idempotency keys. */
export class AgentApi1732600000000 implements MigrationInterface {
  name = 'AgentApi1732600000000';

  async up(runner: QueryRunner): Promise<void> {
    const timestamp = runner.dataSource.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    await runner.addColumns('conversations', [
      new TableColumn({ name: 'agentLastSeenAt', type: timestamp, isNullable: true }),
      new TableColumn({ name: 'lastMessagePreview', type: 'varchar', length: '200', isNullable: true }),
    ]);
    await runner.addColumn('outbox_events', new TableColumn({ name: 'runAt', type: timestamp, isNullable: true }));
    await runner.addColumn('messages', new TableColumn({ name: 'statusChangedAt', type: timestamp, isNullable: true }));
    await runner.createIndex('conversations', new TableIndex({ name: 'IDX_conversations_assignee', columnNames: ['assigneeId', 'lastMessageAt'] }));
    await runner.createTable(
      new Table({
        name: 'idempotency_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'apiKeyId', type: 'varchar', length: '36' },
          { name: 'key', type: 'varchar', length: '255' },
          { name: 'requestHash', type: 'varchar', length: '64' },
          { name: 'responseStatus', type: 'integer' },
          { name: 'responseBody', type: 'text' },
          { name: 'createdAt', type: timestamp },
        ],
        indices: [new TableIndex({ name: 'UQ_idempotency_key', columnNames: ['apiKeyId', 'key'], isUnique: true }), new TableIndex({ name: 'IDX_idempotency_created', columnNames: ['createdAt'] })],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('idempotency_keys');
    await runner.dropIndex('conversations', 'IDX_conversations_assignee');
    await runner.dropColumn('messages', 'statusChangedAt');
    await runner.dropColumn('outbox_events', 'runAt');
    await runner.dropColumns('conversations', ['agentLastSeenAt', 'lastMessagePreview']);
  }
}
