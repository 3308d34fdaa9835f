import { randomUUID } from 'node:crypto';
import { repo } from '../../src/core/model/schemas';
import { isWebsiteOnline } from '../../src/core/websites/presence';
import { api, errorCode, expectStatus, type AgentItem, type AuditItem, type ErrorBody, type Page, type TeamItem } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { createWebsite } from '../support/websites';

/**
 * Agents' team membership over the Agent API (`teamIds` on create, patch, get and list): validated,
 * stored in team_members, audited with the agent's change, and what makes a team's websites "online".
 */

type AgentWithTeams = AgentItem & { teamIds: string[] };

describe.each(ENGINES)('Agent teams on %s', (engine) => {
  let t: TestHub;
  let support: TeamItem;
  let sales: TeamItem;

  beforeAll(async () => {
    t = await startTestHub(engine);
    support = await expectStatus<TeamItem>(201, t, 'POST', '/api/v1/teams', { name: 'Support' });
    sales = await expectStatus<TeamItem>(201, t, 'POST', '/api/v1/teams', { name: 'Sales' });
  });
  afterAll(async () => {
    await t.stop();
  });

  function newAgent(input: Record<string, unknown> = {}): Promise<AgentWithTeams> {
    return expectStatus<AgentWithTeams>(201, t, 'POST', '/api/v1/agents', { name: 'Team Player', email: `player-${randomUUID()}@agents.test`, ...input });
  }

  async function auditOf(agentId: string): Promise<AuditItem[]> {
    return (await expectStatus<Page<AuditItem>>(200, t, 'GET', `/api/v1/audit?entityType=agent&entityId=${agentId}&limit=100`)).items;
  }

  const sorted = (ids: string[]) => [...ids].sort();

  it('adds an agent to teams, shows them on get and list, and defaults to none', async () => {
    const agent = await newAgent({ teamIds: [support.id, sales.id, support.id] });
    expect(agent.teamIds).toEqual(sorted([support.id, sales.id]));
    expect((await expectStatus<AgentWithTeams>(200, t, 'GET', `/api/v1/agents/${agent.id}`)).teamIds).toEqual(sorted([support.id, sales.id]));
    const listed = await expectStatus<{ items: AgentWithTeams[] }>(200, t, 'GET', '/api/v1/agents');
    expect(listed.items.find((a) => a.id === agent.id)?.teamIds).toEqual(sorted([support.id, sales.id]));
    expect(await repo(t.hub.db.manager, 'TeamMember').countBy({ agentId: agent.id })).toBe(2);

    const loner = await newAgent();
    expect(loner.teamIds).toEqual([]);
    expect(listed.items.every((a) => Array.isArray(a.teamIds))).toBe(true);
  });

  it('replaces the teams on patch, leaves them alone when not named, and audits the change with the agent', async () => {
    const agent = await newAgent({ teamIds: [support.id] });
    expect((await expectStatus<AgentWithTeams>(200, t, 'PATCH', `/api/v1/agents/${agent.id}`, { teamIds: [sales.id], status: 'online' })).teamIds).toEqual([sales.id]);
    expect((await expectStatus<AgentWithTeams>(200, t, 'PATCH', `/api/v1/agents/${agent.id}`, { capacity: 3 })).teamIds).toEqual([sales.id]);
    expect((await expectStatus<AgentWithTeams>(200, t, 'PATCH', `/api/v1/agents/${agent.id}`, { teamIds: [] })).teamIds).toEqual([]);
    expect(await repo(t.hub.db.manager, 'TeamMember').countBy({ agentId: agent.id })).toBe(0);

    const entries = await auditOf(agent.id);
    expect(entries.find((e) => e.action === 'agent.created')).toMatchObject({ after: { teamIds: [support.id] } });
    const updates = entries.filter((e) => e.action === 'agent.updated');
    expect(updates).toHaveLength(3);
    expect(updates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ before: { teamIds: [support.id], status: 'offline' }, after: { teamIds: [sales.id], status: 'online' } }),
        expect.objectContaining({ before: { capacity: 10 }, after: { capacity: 3 } }),
        expect.objectContaining({ before: { teamIds: [sales.id] }, after: { teamIds: [] } }),
      ]),
    );
  });

  it('refuses unknown and malformed team ids with 400 naming them, writing nothing', async () => {
    const agent = await newAgent({ teamIds: [support.id] });
    const unknown = randomUUID();
    const counts = () => Promise.all((['Agent', 'TeamMember', 'AuditEntry'] as const).map((entity) => repo(t.hub.db.manager, entity).count()));
    const before = await counts();
    const cases: [unknown, string, string][] = [
      [[unknown], 'teamIds.0', 'unknown_team'],
      [[support.id, unknown], 'teamIds.1', 'unknown_team'],
      [['support'], 'teamIds.0', 'invalid_format'],
      [support.id, 'teamIds', 'invalid_type'],
      [null, 'teamIds', 'invalid_type'],
      [Array.from({ length: 101 }, () => support.id), 'teamIds', 'too_big'],
    ];
    for (const [teamIds, path, code] of cases) {
      const created = await api<ErrorBody>(t, 'POST', '/api/v1/agents', { name: 'Nobody', email: `nobody-${randomUUID()}@agents.test`, teamIds });
      const patched = await api<ErrorBody>(t, 'PATCH', `/api/v1/agents/${agent.id}`, { name: 'Renamed', teamIds });
      for (const res of [created, patched]) {
        expect({ teamIds, status: res.status, code: errorCode(res.body) }).toEqual({ teamIds, status: 400, code: 'validation_failed' });
        expect({ teamIds, details: res.body.error.details }).toEqual({ teamIds, details: [expect.objectContaining({ path, code })] });
      }
    }
    expect(await counts()).toEqual(before);
    expect(await expectStatus<AgentWithTeams>(200, t, 'GET', `/api/v1/agents/${agent.id}`)).toMatchObject({ name: 'Team Player', teamIds: [support.id] });
    expect((await api(t, 'PATCH', `/api/v1/agents/${randomUUID()}`, { teamIds: [support.id] })).status).toBe(404);
  });

  it("makes a team's website online while one of the team's agents is", async () => {
    const team = await expectStatus<TeamItem>(201, t, 'POST', '/api/v1/teams', { name: `Night shift ${randomUUID()}` });
    const website = await createWebsite(t, { teamId: team.id });
    const outsider = await newAgent({ status: 'online' });
    const member = await newAgent({ teamIds: [team.id] });
    expect(outsider.status).toBe('online');
    expect(await isWebsiteOnline(t.hub.db, website)).toBe(false);
    await expectStatus(200, t, 'PATCH', `/api/v1/agents/${member.id}`, { status: 'online' });
    expect(await isWebsiteOnline(t.hub.db, website)).toBe(true);
    await expectStatus(200, t, 'PATCH', `/api/v1/agents/${member.id}`, { teamIds: [] });
    expect(await isWebsiteOnline(t.hub.db, website)).toBe(false);
  });
});
