import { randomBytes } from 'node:crypto';
import { repo } from '../../src/core/model/schemas';
import { SlackEmulator } from '../emulators/slack';
import { inbound } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { waitFor } from '../support/processes';

/** With SLACK_AUTO_CREATE_AGENTS on, a Slack user the hub does not know becomes an agent by writing in a thread. */
const WAIT_MS = 15_000;

describe.each(ENGINES)('Slack agents created on first reply on %s', (engine) => {
  let t: TestHub;
  let slack: SlackEmulator;

  beforeAll(async () => {
    slack = await SlackEmulator.start({ botToken: `xoxb-${randomBytes(12).toString('hex')}`, signingSecret: randomBytes(16).toString('hex') });
    t = await startTestHub(engine, { env: { ...slack.hubEnv('C0AUTOAGNT'), SLACK_AUTO_CREATE_AGENTS: 'true' } });
  });
  afterAll(async () => {
    const started = { t, slack } as Partial<{ t: TestHub; slack: SlackEmulator }>;
    await started.t?.stop();
    await started.slack?.close();
  });

  it('creates the agent from the Slack profile and sends their reply as theirs', async () => {
    slack.addUser({ id: 'U0NEWAGENT', name: 'nora', realName: 'Nora Newcomer', email: 'Nora@Example.com' });
    const { conversationId } = await inbound(t, { name: 'Customer' }, 'Anyone there?');
    const header = await slack.headerOf(conversationId, WAIT_MS);

    expect((await slack.sendUserMessage(t.url, { channel: header.channel, threadTs: header.ts, user: 'U0NEWAGENT', text: 'Hi, Nora here' })).status).toBe(200);

    const reply = await waitFor('the reply', () => repo(t.hub.db.manager, 'Message').findOneBy({ conversationId, body: 'Hi, Nora here' }).then((m) => m ?? undefined), WAIT_MS);
    const account = await repo(t.hub.db.manager, 'AgentAccount').findOneByOrFail({ channel: 'slack', accountId: 'U0NEWAGENT' });
    const agent = await repo(t.hub.db.manager, 'Agent').findOneByOrFail({ id: account.agentId });
    expect(agent).toMatchObject({ name: 'Nora Newcomer', email: 'nora@example.com' });
    expect(reply).toMatchObject({ direction: 'outbound', senderKind: 'agent', senderId: agent.id });
    expect(slack.ephemerals.filter((e) => e.user === 'U0NEWAGENT')).toEqual([]);
  });
});
