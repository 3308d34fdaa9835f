import type { Actor } from '../actor';
import { recordAudit, valuesBefore } from '../audit';
import type { Database } from '../database';
import { NotFoundError } from '../errors';
import { newId } from '../ids';
import { insertRows, repo, updateRow } from '../model/schemas';
import type { Agent, AgentStatus } from '../model/types';
import { toJson, type Json } from '../serialize';
import { uniquely } from '../unique';

export interface AgentInput {
  name: string;
  email: string;
  slackUserId?: string | null;
  status?: AgentStatus;
  capacity?: number;
}

export type AgentPatch = Partial<AgentInput>;

const DEFAULT_CAPACITY = 10;

export async function listAgents(db: Database): Promise<Json<Agent>[]> {
  return (await repo(db.manager, 'Agent').find({ order: { name: 'ASC', id: 'ASC' } })).map(toJson);
}

export async function getAgent(db: Database, id: string): Promise<Json<Agent>> {
  const agent = await repo(db.manager, 'Agent').findOneBy({ id });
  if (!agent) throw new NotFoundError(`Agent ${id}`);
  return toJson(agent);
}

/** An agent by id or email, for the CLI. */
export async function findAgent(db: Database, idOrEmail: string): Promise<Agent> {
  const agents = repo(db.manager, 'Agent');
  const agent = (await agents.findOneBy({ email: idOrEmail.toLowerCase() })) ?? (/^[0-9a-f-]{36}$/i.test(idOrEmail) ? await agents.findOneBy({ id: idOrEmail }) : null);
  if (!agent) throw new NotFoundError(`Agent ${idOrEmail}`);
  return agent;
}

export async function createAgent(db: Database, input: AgentInput, actor: Actor): Promise<Json<Agent>> {
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
  await uniquely('agent', () =>
    db.transaction(async (manager) => {
      await insertRows(manager, 'Agent', agent);
      await recordAudit(manager, actor, { action: 'agent.created', entityType: 'agent', entityId: agent.id, after: toJson(agent) });
    }),
  );
  return toJson(agent);
}

export async function updateAgent(db: Database, id: string, patch: AgentPatch, actor: Actor): Promise<Json<Agent>> {
  return uniquely('agent', () =>
    db.transaction(async (manager) => {
      const agent = await repo(manager, 'Agent').findOneBy({ id });
      if (!agent) throw new NotFoundError(`Agent ${id}`);
      const updated: Agent = { ...agent, ...patch, updatedAt: new Date() };
      await updateRow(manager, 'Agent', id, { ...patch, updatedAt: updated.updatedAt });
      await recordAudit(manager, actor, { action: 'agent.updated', entityType: 'agent', entityId: id, before: valuesBefore(agent, patch), after: { ...patch } });
      return toJson(updated);
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
