import { In, type EntityManager } from 'typeorm';
import { insertRows, repo } from '../model/schemas';
import { requireTeams } from './teams';

/**
 * Which teams an agent belongs to (team_members). A website shows "online" while an agent of its team
 * is; membership is read and written with the agent, in the agent's transaction.
 */

/** The team ids of each agent, sorted, for agents' views. */
export async function teamIdsOf(manager: EntityManager, agentIds: readonly string[]): Promise<Map<string, string[]>> {
  const byAgent = new Map<string, string[]>(agentIds.map((id) => [id, []]));
  if (agentIds.length === 0) return byAgent;
  const rows = await repo(manager, 'TeamMember').find({ where: { agentId: In([...agentIds]) }, order: { teamId: 'ASC' } });
  for (const row of rows) byAgent.get(row.agentId)?.push(row.teamId);
  return byAgent;
}

/** Makes the agent a member of exactly these teams; an unknown team is a validation error naming `teamIds.<n>`. */
export async function setTeams(manager: EntityManager, agentId: string, teamIds: readonly string[]): Promise<string[]> {
  const wanted = [...new Set(teamIds)].sort();
  await requireTeams(manager, teamIds.map((id, n) => ({ path: `teamIds.${n}`, id })));
  const current = (await teamIdsOf(manager, [agentId])).get(agentId) ?? [];
  const removed = current.filter((id) => !wanted.includes(id));
  const added = wanted.filter((id) => !current.includes(id));
  if (removed.length > 0) await repo(manager, 'TeamMember').delete({ agentId, teamId: In(removed) });
  const now = new Date();
  if (added.length > 0) await insertRows(manager, 'TeamMember', added.map((teamId) => ({ teamId, agentId, createdAt: now })));
  return wanted;
}
