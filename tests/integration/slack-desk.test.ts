import { randomBytes } from 'node:crypto';
import { SlackEmulator, type PostedMessage } from '../emulators/slack';
import { expectStatus, inbound, sleep, type AgentItem, type AuditItem, type ConversationItem, type Page } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';

/**
 * The desk controls of agents in Slack: the buttons and "Assign to…" on each conversation's header, and
 * the slash command. Signed block_actions and commands go to the hub's POST /slack/events; changes go
 * through core (the same rules and audit as the REST API), and the header follows through the mirror.
 */

const BOT_TOKEN = `xoxb-${randomBytes(12).toString('hex')}`;
const SIGNING_SECRET = randomBytes(16).toString('hex');
const CHANNEL = 'C0SUPPORT3';
const COMMAND = '/switchboard';
const WAIT_MS = 15_000;
/** How long "nothing happened" is given to happen anyway. */
const QUIET_MS = 600;
const HOUR_MS = 3_600_000;

function slackId(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex').toUpperCase()}`;
}

/** Every text in a message's blocks, so a header's fields and buttons can be looked for as text. */
function blockText(message: { text: string; blocks?: unknown[] }): string {
  return JSON.stringify(message.blocks ?? []);
}

describe.each(ENGINES)('Desk controls in Slack on %s', (engine) => {
  let t: TestHub;
  let slack: SlackEmulator;

  beforeAll(async () => {
    slack = await SlackEmulator.start({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET });
    t = await startTestHub(engine, { env: slack.hubEnv(CHANNEL) });
  });
  afterAll(async () => {
    const started = { t, slack } as Partial<{ t: TestHub; slack: SlackEmulator }>;
    await started.t?.stop();
    await started.slack?.close();
  });

  /** An agent with a Slack account the emulator knows. */
  async function newAgent(name = `Agent ${randomBytes(2).toString('hex')}`): Promise<{ agent: AgentItem; user: string }> {
    const user = slackId('U');
    const email = `agent-${randomBytes(3).toString('hex')}@agents.test`;
    slack.addUser({ id: user, name: name.toLowerCase().replace(/\s+/g, '.'), realName: name, email });
    const agent = await expectStatus<AgentItem>(201, t, 'POST', '/api/v1/agents', { name, email, slackUserId: user });
    return { agent, user };
  }

  async function conversationWithHeader(text = 'Where is my parcel?'): Promise<{ conversationId: string; header: PostedMessage; customer: string }> {
    const customer = `Customer ${randomBytes(2).toString('hex')}`;
    const { conversationId } = await inbound(t, { name: customer }, text);
    const header = await slack.headerOf(conversationId, WAIT_MS);
    return { conversationId, header, customer };
  }

  function conversation(id: string): Promise<ConversationItem> {
    return expectStatus<ConversationItem>(200, t, 'GET', `/api/v1/conversations/${id}`);
  }

  function until<T>(what: string, check: (c: ConversationItem) => T | undefined | false, id: string): Promise<T> {
    return slack.waitFor(what, async () => check(await conversation(id)), WAIT_MS);
  }

  function click(header: PostedMessage, user: string, actionId: string, extra: { value?: string; selectedUser?: string } = {}): Promise<{ status: number }> {
    return slack.sendAction(t.url, { user, channel: header.channel, messageTs: header.ts, actionId, ...extra });
  }

  function command(user: string, text: string): Promise<{ status: number }> {
    return slack.sendCommand(t.url, { command: COMMAND, text, user, channel: CHANNEL });
  }

  /** The text of the next respond() answer after `before` responses. */
  async function answer(before: number): Promise<{ text: string; response_type?: string }> {
    return slack.waitFor('the command’s answer', () => slack.responses[before]?.body as { text: string; response_type?: string } | undefined, WAIT_MS);
  }

  it('puts the controls on the header: Claim, Resolve, two snoozes and Assign to…', async () => {
    const { conversationId, header } = await conversationWithHeader();
    const actions = (header.blocks ?? []).find((b) => (b as { type?: string }).type === 'actions') as { elements: { action_id: string; type: string; value?: string }[] };
    expect(actions.elements.map((e) => e.action_id)).toEqual(['sb_claim', 'sb_resolve', 'sb_snooze_1h', 'sb_snooze_tomorrow', 'sb_assign']);
    expect(actions.elements.filter((e) => e.type === 'button').every((e) => e.value === conversationId)).toBe(true);
    expect(actions.elements.at(-1)?.type).toBe('users_select');
  });

  it('Claim assigns the conversation to the clicker’s agent and the header shows them', async () => {
    const { agent, user } = await newAgent('Claire Claimer');
    const { conversationId, header } = await conversationWithHeader();
    expect((await click(header, user, 'sb_claim')).status).toBe(200);
    await until('the assignee', (c) => c.assigneeId === agent.id, conversationId);
    await slack.waitFor('the header update', () => header.updates.some((u) => blockText(u).includes('*Assignee:* Claire Claimer')), WAIT_MS);
    const audit = await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?entityType=conversation&entityId=${conversationId}`);
    expect(audit.items).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'conversation.updated', actorType: 'agent', actorId: agent.id, after: { assigneeId: agent.id } })]));
  });

  it('Resolve, then Reopen on the updated header', async () => {
    const { user } = await newAgent();
    const { conversationId, header } = await conversationWithHeader();
    expect((await click(header, user, 'sb_resolve')).status).toBe(200);
    await until('resolved', (c) => c.status === 'resolved', conversationId);
    await slack.waitFor('the Reopen button', () => blockText(header).includes('sb_reopen') && !blockText(header).includes('sb_resolve'), WAIT_MS);
    expect(blockText(header)).toContain('*Status:* Resolved');
    expect((await click(header, user, 'sb_reopen')).status).toBe(200);
    await until('reopened', (c) => c.status === 'open', conversationId);
    await slack.waitFor('the Resolve button again', () => blockText(header).includes('sb_resolve'), WAIT_MS);
  });

  it('explains a refused transition in an ephemeral message', async () => {
    const { user } = await newAgent();
    const { conversationId, header } = await conversationWithHeader();
    await click(header, user, 'sb_resolve');
    await until('resolved', (c) => c.status === 'resolved', conversationId);
    // A header not yet updated still shows the snooze buttons.
    expect((await click(header, user, 'sb_snooze_1h', { value: conversationId })).status).toBe(200);
    const told = await slack.waitFor('the ephemeral', () => slack.ephemerals.find((e) => e.user === user), WAIT_MS);
    expect(told.text).toContain('cannot become snoozed');
    expect((await conversation(conversationId)).status).toBe('resolved');
  });

  it('Snooze 1 h snoozes the conversation for an hour; Snooze until tomorrow until 09:00 UTC', async () => {
    const { user } = await newAgent();
    const { conversationId, header } = await conversationWithHeader();
    const clicked = Date.now();
    expect((await click(header, user, 'sb_snooze_1h')).status).toBe(200);
    const until1h = await until('snoozed', (c) => (c.status === 'snoozed' && c.snoozedUntil) || undefined, conversationId);
    expect(Math.abs(new Date(until1h).getTime() - (clicked + HOUR_MS))).toBeLessThan(60_000);

    expect((await click(header, user, 'sb_snooze_tomorrow')).status).toBe(200);
    const morning = await until('snoozed until tomorrow', (c) => (c.snoozedUntil !== until1h && c.snoozedUntil) || undefined, conversationId);
    // The day after the click, or after a midnight the test ran across.
    const tomorrowOf = (at: number) => {
      const day = new Date(at);
      return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1, 9)).toISOString();
    };
    expect([tomorrowOf(clicked), tomorrowOf(Date.now())]).toContain(morning);
  });

  it('Assign to… assigns the agent of the picked Slack user', async () => {
    const clicker = await newAgent();
    const picked = await newAgent('Pat Picked');
    const { conversationId, header } = await conversationWithHeader();
    expect((await click(header, clicker.user, 'sb_assign', { selectedUser: picked.user })).status).toBe(200);
    await until('the assignee', (c) => c.assigneeId === picked.agent.id, conversationId);
    await slack.waitFor('the header update', () => blockText(header).includes('*Assignee:* Pat Picked'), WAIT_MS);
  });

  it('Assign to… someone who is not an agent tells the clicker and changes nothing', async () => {
    const clicker = await newAgent();
    const stranger = slackId('U');
    slack.addUser({ id: stranger, name: 'nobody', realName: 'No Agent' });
    const { conversationId, header } = await conversationWithHeader();
    expect((await click(header, clicker.user, 'sb_assign', { selectedUser: stranger })).status).toBe(200);
    const told = await slack.waitFor('the ephemeral', () => slack.ephemerals.find((e) => e.user === clicker.user), WAIT_MS);
    expect(told.text).toContain('is not an agent');
    expect((await conversation(conversationId)).assigneeId).toBeNull();
  });

  it('tells a Slack user who is no agent so, and changes nothing', async () => {
    const user = slackId('U');
    slack.addUser({ id: user, name: 'stranger', realName: 'Stranger', email: `stranger-${randomBytes(3).toString('hex')}@example.com` });
    const { conversationId, header } = await conversationWithHeader();
    expect((await click(header, user, 'sb_resolve')).status).toBe(200);
    const told = await slack.waitFor('the ephemeral', () => slack.ephemerals.find((e) => e.user === user), WAIT_MS);
    expect(told).toMatchObject({ channel: header.channel });
    expect(told.text).toContain('not an agent in Switchboard');
    await sleep(QUIET_MS);
    expect(await conversation(conversationId)).toMatchObject({ status: 'open', assigneeId: null });
  });

  it('answers 401 to a forged action and a forged command, and changes nothing', async () => {
    const { user } = await newAgent();
    const { conversationId, header } = await conversationWithHeader();
    const forged = { signature: `v0=${'0'.repeat(64)}` };
    expect((await slack.sendAction(t.url, { user, channel: header.channel, messageTs: header.ts, actionId: 'sb_resolve' }, forged)).status).toBe(401);
    expect((await slack.sendAction(t.url, { user, channel: header.channel, messageTs: header.ts, actionId: 'sb_claim' }, { signature: null })).status).toBe(401);
    expect((await slack.sendCommand(t.url, { command: COMMAND, text: `resolve ${conversationId}`, user, channel: CHANNEL }, forged)).status).toBe(401);
    await sleep(QUIET_MS);
    expect(await conversation(conversationId)).toMatchObject({ status: 'open', assigneeId: null });
  });

  it('/switchboard list answers, to the agent only, the open conversations nobody is assigned to', async () => {
    const { user } = await newAgent();
    const { conversationId, customer } = await conversationWithHeader('Is the shop open on Sunday?');
    const before = slack.responses.length;
    expect((await command(user, 'list')).status).toBe(200);
    const listed = await answer(before);
    expect(listed.response_type).toBe('ephemeral');
    const lines = listed.text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(11);
    const line = lines.find((l) => l.includes(conversationId));
    expect(line).toContain(customer);
    expect(line).toContain('API');
    expect(line).toContain('Is the shop open on Sunday?');
    // Newest first.
    expect(lines[1]).toContain(conversationId);
  });

  it('/switchboard resolve <id> resolves as the agent, and reopen <id> reopens', async () => {
    const { agent, user } = await newAgent();
    const { conversationId } = await conversationWithHeader();
    let before = slack.responses.length;
    expect((await command(user, `resolve ${conversationId}`)).status).toBe(200);
    expect((await answer(before)).text).toContain('Resolved');
    expect((await conversation(conversationId)).status).toBe('resolved');
    const audit = await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?entityType=conversation&entityId=${conversationId}`);
    expect(audit.items).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'conversation.updated', actorType: 'agent', actorId: agent.id, after: expect.objectContaining({ status: 'resolved' }) as unknown })]));

    before = slack.responses.length;
    expect((await command(user, `snooze ${conversationId} 2h`)).status).toBe(200);
    expect((await answer(before)).text).toContain('cannot become snoozed');

    before = slack.responses.length;
    await command(user, `reopen ${conversationId}`);
    expect((await answer(before)).text).toContain('Reopened');
    expect((await conversation(conversationId)).status).toBe('open');
  });

  it('a command whose answer could not be posted is not run again: the retry posts the same answer', async () => {
    const { agent, user } = await newAgent();
    const { conversationId } = await conversationWithHeader();
    const before = slack.responses.length;
    slack.failNextResponses(500);
    // Snoozing again would move the wake-up time and be audited a second time.
    expect((await command(user, `snooze ${conversationId} 2h`)).status).toBe(200);
    expect((await answer(before)).text).toContain('Snoozed');
    const audit = await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?entityType=conversation&entityId=${conversationId}`);
    expect(audit.items.filter((entry) => entry.action === 'conversation.updated' && entry.actorId === agent.id)).toHaveLength(1);
  });

  it('/switchboard assign <id> <@U…|name> assigns the mentioned person’s agent', async () => {
    const { user } = await newAgent();
    const picked = await newAgent('Ann Assigned');
    const { conversationId } = await conversationWithHeader();
    const before = slack.responses.length;
    await command(user, `assign ${conversationId} <@${picked.user}|ann.assigned>`);
    expect((await answer(before)).text).toContain('Assigned');
    expect((await conversation(conversationId)).assigneeId).toBe(picked.agent.id);
  });

  it('/switchboard snooze <id> 2h snoozes for two hours; a bad duration is explained', async () => {
    const { user } = await newAgent();
    const { conversationId } = await conversationWithHeader();
    let before = slack.responses.length;
    await command(user, `snooze ${conversationId} soon`);
    expect((await answer(before)).text).toContain('duration');
    expect((await conversation(conversationId)).status).toBe('open');

    before = slack.responses.length;
    const typed = Date.now();
    await command(user, `snooze ${conversationId} 2h`);
    expect((await answer(before)).text).toContain('Snoozed');
    const snoozed = await conversation(conversationId);
    expect(snoozed.status).toBe('snoozed');
    expect(Math.abs(new Date(snoozed.snoozedUntil ?? 0).getTime() - (typed + 2 * HOUR_MS))).toBeLessThan(60_000);
  });

  it('answers errors as ephemeral text: unknown id, not an agent, unknown subcommand (with the help)', async () => {
    const { user } = await newAgent();
    let before = slack.responses.length;
    await command(user, 'resolve 00000000-0000-4000-8000-000000000000');
    expect(await answer(before)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('no conversation') as unknown });

    before = slack.responses.length;
    await command(user, 'resolve not-an-id');
    expect((await answer(before)).text).toContain('no conversation');

    const stranger = slackId('U');
    slack.addUser({ id: stranger, name: 'stranger', realName: 'Stranger' });
    before = slack.responses.length;
    await command(stranger, 'list');
    expect((await answer(before)).text).toContain('not an agent in Switchboard');

    before = slack.responses.length;
    await command(user, 'frobnicate everything');
    const help = await answer(before);
    expect(help.response_type).toBe('ephemeral');
    expect(help.text).toContain('frobnicate');
    expect(help.text).toContain(`${COMMAND} list`);
    expect(help.text).toContain(`${COMMAND} snooze`);
  });
});
