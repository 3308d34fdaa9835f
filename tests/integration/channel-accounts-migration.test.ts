import type { DataSource } from 'typeorm';
import { migrate, openDatabase } from '../../src/infra/db/data-source';
import { ChannelAccounts1733100000000 } from '../../src/infra/db/migrations/1733100000000-channel-accounts';
import { migrations } from '../../src/infra/db/migrations';
import { createTestEnvironment, ENGINES, type TestEnvironment } from '../support/env';

const AGENT = '11111111-1111-4111-8111-111111111111';
const TEAM = '22222222-2222-4222-8222-222222222222';

describe.each(ENGINES)('the channel accounts migration (%s)', (engine) => {
  let environment: TestEnvironment;
  let dataSource: DataSource;

  beforeAll(async () => {
    environment = createTestEnvironment(engine);
    dataSource = await openDatabase(environment.config);
    await migrate(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await environment.cleanup();
  });

  async function columnsOf(table: string): Promise<string[]> {
    const runner = dataSource.createQueryRunner();
    try {
      return ((await runner.getTable(table))?.columns ?? []).map((c) => c.name);
    } finally {
      await runner.release();
    }
  }

  it("moves agents' Slack user ids and teams' Slack channels into the channels' tables, and back down", async () => {
    const now = new Date().toISOString();
    await dataSource.query(`INSERT INTO agents (id, name, email, status, capacity, "createdAt", "updatedAt") VALUES ('${AGENT}', 'Ada', 'ada@agents.test', 'online', 5, '${now}', '${now}')`);
    await dataSource.query(`INSERT INTO teams (id, name, "createdAt", "updatedAt") VALUES ('${TEAM}', 'Billing', '${now}', '${now}')`);
    await dataSource.query(`INSERT INTO team_members ("teamId", "agentId", "createdAt") VALUES ('${TEAM}', '${AGENT}', '${now}')`);
    await dataSource.query(`INSERT INTO agent_accounts (channel, "accountId", "agentId") VALUES ('slack', 'U0ADA', '${AGENT}')`);
    await dataSource.query(`INSERT INTO team_locations ("teamId", channel, location) VALUES ('${TEAM}', 'slack', 'C0BILLING')`);

    // Back to before this migration: the later ones go down first.
    const later = migrations.slice(migrations.indexOf(ChannelAccounts1733100000000) + 1).map((migration) => migration.name);
    for (let undo = 0; undo <= later.length; undo++) await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await dataSource.query(`SELECT "slackUserId" FROM agents`)).toEqual([{ slackUserId: 'U0ADA' }]);
    expect(await dataSource.query(`SELECT "slackChannelId" FROM teams`)).toEqual([{ slackChannelId: 'C0BILLING' }]);

    expect(await migrate(dataSource)).toEqual(['ChannelAccounts1733100000000', ...later]);
    expect(await dataSource.query(`SELECT channel, "accountId", "agentId" FROM agent_accounts`)).toEqual([{ channel: 'slack', accountId: 'U0ADA', agentId: AGENT }]);
    expect(await dataSource.query(`SELECT "teamId", channel, location FROM team_locations`)).toEqual([{ teamId: TEAM, channel: 'slack', location: 'C0BILLING' }]);
    expect(await columnsOf('agents')).not.toContain('slackUserId');
    expect(await columnsOf('teams')).not.toContain('slackChannelId');
    // Dropping the columns left the rows that refer to agents and teams alone.
    expect(await dataSource.query(`SELECT "teamId", "agentId" FROM team_members`)).toEqual([{ teamId: TEAM, agentId: AGENT }]);
  });
});
