import type { EntityManager } from 'typeorm';
import type { Actor } from '../actor';
import { recordAudit, valuesBefore } from '../audit';
import type { Database } from '../database';
import { NotFoundError } from '../errors';
import { newId } from '../ids';
import { insertRows, repo, updateRow } from '../model/schemas';
import type { Agent, AgentStatus, ChannelName } from '../model/types';
import { toJson, type Json } from '../serialize';
import { uniquely } from '../unique';
import { accountsOf, setAccounts, type AgentAccounts } from './accounts';
import { setTeams, teamIdsOf } from './members';

export interface AgentInput {
  name: string;
  email: string;
  status?: AgentStatus;
  capacity?: number;
  /** The teams the agent belongs to (replaced as a whole by a patch). */
  teamIds?: string[];
  /** The agent's account on each channel named (null: none there); a patch leaves other channels' as they are. */
  accounts?: Record<ChannelName, string | null>;
}

export type AgentPatch = Partial<AgentInput>;

/** An agent as the API and the CLI show them: with the ids of their teams and their channel accounts. */
export type AgentView = Json<Agent> & { teamIds: string[]; accounts: AgentAccounts };

const DEFAULT_CAPACITY = 10;

async function viewsOf(manager: EntityManager, agents: Agent[]): Promise<AgentView[]> {
  const ids = agents.map((a) => a.id);
  const [teams, accounts] = await Promise.all([teamIdsOf(manager, ids), accountsOf(manager, ids)]);
  return agents.map((agent) => ({ ...toJson(agent), teamIds: teams.get(agent.id) ?? [], accounts: accounts.get(agent.id) ?? {} }));
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
    status: input.status ?? 'offline',
    capacity: input.capacity ?? DEFAULT_CAPACITY,
    createdAt: now,
    updatedAt: now,
  };
  return uniquely('agent', () =>
    db.transaction(async (manager) => {
      await insertRows(manager, 'Agent', agent);
      const accounts = await setAccounts(manager, agent.id, input.accounts ?? {});
      const teamIds = await setTeams(manager, agent.id, input.teamIds ?? []);
      const view = { ...toJson(agent), teamIds, accounts };
      await recordAudit(manager, actor, { action: 'agent.created', entityType: 'agent', entityId: agent.id, after: view });
      return view;
    }),
  );
}

export async function updateAgent(db: Database, id: string, patch: AgentPatch, actor: Actor): Promise<AgentView> {
  const { teamIds, accounts, ...fields } = patch;
  return uniquely('agent', () =>
    db.transaction(async (manager) => {
      const agent = await repo(manager, 'Agent').findOneBy({ id });
      if (!agent) throw new NotFoundError(`Agent ${id}`);
      const updated: Agent = { ...agent, ...fields, updatedAt: new Date() };
      await updateRow(manager, 'Agent', id, { ...fields, updatedAt: updated.updatedAt });
      const teamsBefore = (await teamIdsOf(manager, [id])).get(id) ?? [];
      const teams = teamIds === undefined ? teamsBefore : await setTeams(manager, id, teamIds);
      const accountsBefore = (await accountsOf(manager, [id])).get(id) ?? {};
      const accountsAfter = accounts ? await setAccounts(manager, id, accounts) : accountsBefore;
      // The membership and the accounts are part of the agent's change, audited in the same entry.
      const before = { ...valuesBefore(agent, fields), ...(teamIds === undefined ? {} : { teamIds: teamsBefore }), ...(accounts ? { accounts: accountsBefore } : {}) };
      const after = { ...fields, ...(teamIds === undefined ? {} : { teamIds: teams }), ...(accounts ? { accounts: accountsAfter } : {}) };
      await recordAudit(manager, actor, { action: 'agent.updated', entityType: 'agent', entityId: id, before, after });
      return { ...toJson(updated), teamIds: teams, accounts: accountsAfter };
    }),
  );
}

/** The agent with this email address (stored lower-case), if any. */
export async function agentWithEmail(db: Database, email: string): Promise<Agent | undefined> {
  return (await repo(db.manager, 'Agent').findOneBy({ email })) ?? undefined;
}
