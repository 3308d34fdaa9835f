import type { EntityManager } from 'typeorm';
import type { Actor } from '../actor';
import { recordAudit, valuesBefore } from '../audit';
import type { Database } from '../database';
import { NotFoundError } from '../errors';
import { newId } from '../ids';
import { insertRows, repo, updateRow } from '../model/schemas';
import type { Agent, AgentStatus } from '../model/types';
import { toJson, type Json } from '../serialize';
import { uniquely } from '../unique';
import { setTeams, teamIdsOf } from './members';

export interface AgentInput {
  name: string;
  email: string;
  slackUserId?: string | null;
  status?: AgentStatus;
  capacity?: number;
  /** The teams the agent belongs to (replaced as a whole by a patch). */
  teamIds?: string[];
}

export type AgentPatch = Partial<AgentInput>;

/** An agent as the API and the CLI show them: with the ids of their teams. */
export type AgentView = Json<Agent> & { teamIds: string[] };

const DEFAULT_CAPACITY = 10;

async function viewsOf(manager: EntityManager, agents: Agent[]): Promise<AgentView[]> {
  const teams = await teamIdsOf(manager, agents.map((a) => a.id));
  return agents.map((agent) => ({ ...toJson(agent), teamIds: teams.get(agent.id) ?? [] }));
}

export async function listAgents(db: Database): Promise<AgentView[]> {
  return viewsOf(db.manager, await repo(db.manager, 'Agent').find({ order: { name: 'ASC', id: 'ASC' } }));
}

export async function getAgent(db: Database, id: string): Promise<AgentView> {
  const agent = await repo(db.manager, 'Agent').findOneBy({ id });
  if (!agent) throw new NotFoundError(`Agent ${id}`);
  const [view] = await viewsOf(db.manager, [agent]);
  if (!view) throw new NotFoundError(`Agent ${id}`);
  return view;
}

/** An agent by id or email, for the CLI. */
export async function findAgent(db: Database, idOrEmail: string): Promise<Agent> {
  const agents = repo(db.manager, 'Agent');
  const agent = (await agents.findOneBy({ email: idOrEmail.toLowerCase() })) ?? (/^[0-9a-f-]{36}$/i.test(idOrEmail) ? await agents.findOneBy({ id: idOrEmail }) : null);
  if (!agent) throw new NotFoundError(`Agent ${idOrEmail}`);
  return agent;
}

export async function createAgent(db: Database, input: AgentInput, actor: Actor): Promise<AgentView> {
  const now = new Date();
  const agent: Agent = {
    id: newId(),
    name: input.name,
    email: input.email,
    slackUserId: input.slackUserId ?? null,
    status: input.status ?? 'offline',
    capacity: input.capacity ?? DEFAULT_CAPACITY,
    createdAt: now,
    updatedAt: now,
  };
  const teamIds = await uniquely('agent', () =>
    db.transaction(async (manager) => {
      await insertRows(manager, 'Agent', agent);
      const teams = await setTeams(manager, agent.id, input.teamIds ?? []);
      await recordAudit(manager, actor, { action: 'agent.created', entityType: 'agent', entityId: agent.id, after: { ...toJson(agent), teamIds: teams } });
      return teams;
    }),
  );
  return { ...toJson(agent), teamIds };
}

export async function updateAgent(db: Database, id: string, patch: AgentPatch, actor: Actor): Promise<AgentView> {
  const { teamIds, ...fields } = patch;
  return uniquely('agent', () =>
    db.transaction(async (manager) => {
      const agent = await repo(manager, 'Agent').findOneBy({ id });
      if (!agent) throw new NotFoundError(`Agent ${id}`);
      const updated: Agent = { ...agent, ...fields, updatedAt: new Date() };
      await updateRow(manager, 'Agent', id, { ...fields, updatedAt: updated.updatedAt });
      const teamsBefore = (await teamIdsOf(manager, [id])).get(id) ?? [];
      const teams = teamIds === undefined ? teamsBefore : await setTeams(manager, id, teamIds);
      // The membership is part of the agent's change, audited in the same entry.
      const before = { ...valuesBefore(agent, fields), ...(teamIds === undefined ? {} : { teamIds: teamsBefore }) };
      const after = { ...fields, ...(teamIds === undefined ? {} : { teamIds: teams }) };
      await recordAudit(manager, actor, { action: 'agent.updated', entityType: 'agent', entityId: id, before, after });
      return { ...toJson(updated), teamIds: teams };
    }),
  );
}

/** The agent with this Slack user id, if any. */
export async function agentOfSlackUser(db: Database, slackUserId: string): Promise<Agent | undefined> {
  return (await repo(db.manager, 'Agent').findOneBy({ slackUserId })) ?? undefined;
}

/** The agent with this email address (stored lower-case), if any. */
export async function agentWithEmail(db: Database, email: string): Promise<Agent | undefined> {
  return (await repo(db.manager, 'Agent').findOneBy({ email })) ?? undefined;
}
