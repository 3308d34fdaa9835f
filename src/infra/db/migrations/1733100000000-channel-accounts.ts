import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** The channel whose settings lived on agents and teams until channels kept their own. */
const SLACK = 'slack';

/**
 * Channels keep their own settings of agents and teams: an agent's account on a channel (their Slack
 * user id) and where a channel keeps a team's conversations (its Slack channel). The existing values
 * move over, then the columns go. Columns are dropped with plain SQL, which both engines run in place:
 * TypeORM's SQLite fallback rebuilds the table, and dropping `agents` with foreign keys on would
 * cascade into the tables that refer to it.
 */
export class ChannelAccounts1733100000000 implements MigrationInterface {
  name = 'ChannelAccounts1733100000000';

  async up(runner: QueryRunner): Promise<void> {
    const references = (column: string, table: string) => new TableForeignKey({ columnNames: [column], referencedTableName: table, referencedColumnNames: ['id'], onDelete: 'CASCADE' });
    await runner.createTable(
      new Table({
        name: 'agent_accounts',
        columns: [
          { name: 'channel', type: 'varchar', length: '32', isPrimary: true },
          { name: 'accountId', type: 'varchar', length: '64', isPrimary: true },
          { name: 'agentId', type: 'varchar', length: '36' },
        ],
        indices: [new TableIndex({ name: 'UQ_agent_accounts_agent', columnNames: ['agentId', 'channel'], isUnique: true })],
        foreignKeys: [references('agentId', 'agents')],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'team_locations',
        columns: [
          { name: 'teamId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'channel', type: 'varchar', length: '32', isPrimary: true },
          { name: 'location', type: 'varchar', length: '64' },
        ],
        foreignKeys: [references('teamId', 'teams')],
      }),
    );
    await runner.query(`INSERT INTO agent_accounts (channel, "accountId", "agentId") SELECT '${SLACK}', "slackUserId", id FROM agents WHERE "slackUserId" IS NOT NULL`);
    await runner.query(`INSERT INTO team_locations ("teamId", channel, location) SELECT id, '${SLACK}', "slackChannelId" FROM teams WHERE "slackChannelId" IS NOT NULL`);
    await runner.dropIndex('agents', 'UQ_agents_slack_user');
    await runner.query(`ALTER TABLE agents DROP COLUMN "slackUserId"`);
    await runner.query(`ALTER TABLE teams DROP COLUMN "slackChannelId"`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE agents ADD COLUMN "slackUserId" varchar(64)`);
    await runner.query(`ALTER TABLE teams ADD COLUMN "slackChannelId" varchar(32)`);
    await runner.query(`UPDATE agents SET "slackUserId" = (SELECT "accountId" FROM agent_accounts a WHERE a."agentId" = agents.id AND a.channel = '${SLACK}')`);
    await runner.query(`UPDATE teams SET "slackChannelId" = (SELECT location FROM team_locations l WHERE l."teamId" = teams.id AND l.channel = '${SLACK}')`);
    await runner.createIndex('agents', new TableIndex({ name: 'UQ_agents_slack_user', columnNames: ['slackUserId'], isUnique: true }));
    await runner.dropTable('team_locations');
    await runner.dropTable('agent_accounts');
  }
}
