import { In, type EntityManager } from 'typeorm';
import type { Actor } from '../actor';
import { recordAudit, valuesBefore } from '../audit';
import type { Database } from '../database';
import { NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';
import { insertRows, repo, updateRow } from '../model/schemas';
import type { Team } from '../model/types';
import { toJson, type Json } from '../serialize';
import { uniquely } from '../unique';

export interface TeamInput {
  name: string;
  slackChannelId?: string | null;
}

export async function listTeams(db: Database): Promise<Json<Team>[]> {
  return (await repo(db.manager, 'Team').find({ order: { name: 'ASC' } })).map(toJson);
}

export async function getTeam(db: Database, id: string): Promise<Json<Team>> {
  const team = await repo(db.manager, 'Team').findOneBy({ id });
  if (!team) throw new NotFoundError(`Team ${id}`);
  return toJson(team);
}

export async function createTeam(db: Database, input: TeamInput, actor: Actor): Promise<Json<Team>> {
  const now = new Date();
  const team: Team = { id: newId(), name: input.name, slackChannelId: input.slackChannelId ?? null, createdAt: now, updatedAt: now };
  await uniquely('team', () =>
    db.transaction(async (manager) => {
      await insertRows(manager, 'Team', team);
      await recordAudit(manager, actor, { action: 'team.created', entityType: 'team', entityId: team.id, after: { name: team.name, slackChannelId: team.slackChannelId } });
    }),
  );
  return toJson(team);
}

export async function updateTeam(db: Database, id: string, patch: Partial<TeamInput>, actor: Actor): Promise<Json<Team>> {
  return uniquely('team', () =>
    db.transaction(async (manager) => {
      const team = await repo(manager, 'Team').findOneBy({ id });
      if (!team) throw new NotFoundError(`Team ${id}`);
      const updated: Team = { ...team, ...patch, updatedAt: new Date() };
      await updateRow(manager, 'Team', id, { ...patch, updatedAt: updated.updatedAt });
      await recordAudit(manager, actor, { action: 'team.updated', entityType: 'team', entityId: id, before: valuesBefore(team, patch), after: { ...patch } });
      return toJson(updated);
    }),
  );
}

/**
 * Refuses team ids that name no team, as a validation error naming each failing field (`teamId`,
 * `teamIds.1`), inside the transaction that then refers to them.
 */
export async function requireTeams(manager: EntityManager, teamIds: readonly { path: string; id: string }[]): Promise<void> {
  if (teamIds.length === 0) return;
  const found = new Set((await repo(manager, 'Team').find({ where: { id: In(teamIds.map((t) => t.id)) }, select: { id: true } })).map((t) => t.id));
  const unknown = teamIds.filter((t) => !found.has(t.id)).map((t) => ({ path: t.path, message: `is not a team (${t.id})`, code: 'unknown_team' }));
  if (unknown.length > 0) throw new ValidationError(`Unknown team: ${unknown.map((d) => d.path).join(', ')}`, unknown);
}
