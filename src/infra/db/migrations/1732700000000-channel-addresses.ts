import { Table, TableColumn, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * What customer channels with several business addresses need (Twilio numbers now, mailboxes later):
 * inboxes mapping an address to a team, the address a conversation came in on, opt-out on identities,
 * and the hub's own secrets (file links are signed with one). A message's external id is unique per
 * channel and direction: a provider's id of a reply is no inbound message's id, so a customer message
 * that happens to carry the same id is not taken for a retry.
 */
export class ChannelAddresses1732700000000 implements MigrationInterface {
  name = 'ChannelAddresses1732700000000';

  async up(runner: QueryRunner): Promise<void> {
    const timestamp = runner.dataSource.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    await runner.addColumn('channel_identities', new TableColumn({ name: 'optedOutAt', type: timestamp, isNullable: true }));
    await runner.addColumn('conversations', new TableColumn({ name: 'channelAddress', type: 'varchar', length: '320', isNullable: true }));
    await runner.dropIndex('messages', 'UQ_messages_channel_external_id');
    await runner.createIndex('messages', new TableIndex({ name: 'UQ_messages_channel_direction_external_id', columnNames: ['channel', 'direction', 'externalId'], isUnique: true }));
    await runner.createTable(
      new Table({
        name: 'inboxes',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'channel', type: 'varchar', length: '32' },
          { name: 'address', type: 'varchar', length: '320' },
          { name: 'name', type: 'varchar', length: '200', isNullable: true },
          { name: 'teamId', type: 'varchar', length: '36', isNullable: true },
          { name: 'createdAt', type: timestamp },
          { name: 'updatedAt', type: timestamp },
        ],
        indices: [new TableIndex({ name: 'UQ_inboxes_channel_address', columnNames: ['channel', 'address'], isUnique: true })],
        foreignKeys: [new TableForeignKey({ columnNames: ['teamId'], referencedTableName: 'teams', referencedColumnNames: ['id'], onDelete: 'SET NULL' })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'hub_secrets',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'value', type: 'varchar', length: '128' },
          { name: 'createdAt', type: timestamp },
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('hub_secrets');
    await runner.dropTable('inboxes');
    await runner.dropIndex('messages', 'UQ_messages_channel_direction_external_id');
    await runner.createIndex('messages', new TableIndex({ name: 'UQ_messages_channel_external_id', columnNames: ['channel', 'externalId'], isUnique: true }));
    await runner.dropColumn('conversations', 'channelAddress');
    await runner.dropColumn('channel_identities', 'optedOutAt');
  }
}
