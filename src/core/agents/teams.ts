import { In, type EntityManager } from 'typeorm';
import type { Actor } from '../actor';
import { recordAudit, valuesBefore } from '../audit';
import type { Database } from '../database';
import { NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';
import { insertRows, repo, updateRow } from '../model/schemas';
import type { AfterResolveSettings, ChannelName, Team } from '../model/types';
import { toJson, type Json } from '../serialize';
import { uniquely } from '../unique';
import { locationsOf, setLocations, type TeamLocations } from './locations';

export interface TeamInput extends Partial<AfterResolveSettings> {
  name: string;
  /** Where each channel named keeps the team's conversations (null: its default); a patch leaves other channels' as they are. */
  locations?: Record<ChannelName, string | null>;
}

/** A team as the API shows it: with its channels' locations. */
export type TeamView = Json<Team> & { locations: TeamLocations };

async function viewsOf(manager: EntityManager, teams: Team[]): Promise<TeamView[]> {
  const locations = await locationsOf(manager, teams.map((t) => t.id));
  return teams.map((team) => ({ ...toJson(team), locations: locations.get(team.id) ?? {} }));
}

export async function listTeams(db: Database): Promise<TeamView[]> {
  return viewsOf(db.manager, await repo(db.manager, 'Team').find({ order: { name: 'ASC' } }));
}

export async function getTeam(db: Database, id: string): Promise<TeamView> {
  const team = await repo(db.manager, 'Team').findOneBy({ id });
  const [view] = team ? await viewsOf(db.manager, [team]) : [];
  if (!view) throw new NotFoundError(`Team ${id}`);
  return view;
}

export async function createTeam(db: Database, input: TeamInput, actor: Actor): Promise<TeamView> {
  const now = new Date();
  const team: Team = {
    id: newId(),
    name: input.name,
    followUpDelayHours: input.followUpDelayHours ?? null,
    transcriptOnResolve: input.transcriptOnResolve ?? null,
    createdAt: now,
    updatedAt: now,
  };
  return uniquely('team', () =>
    db.transaction(async (manager) => {
      await insertRows(manager, 'Team', team);
      const locations = await setLocations(manager, team.id, input.locations ?? {});
      const after = { name: team.name, followUpDelayHours: team.followUpDelayHours, transcriptOnResolve: team.transcriptOnResolve, locations };
      await recordAudit(manager, actor, { action: 'team.created', entityType: 'team', entityId: team.id, after });
      return { ...toJson(team), locations };
    }),
  );
}

export async function updateTeam(db: Database, id: string, patch: Partial<TeamInput>, actor: Actor): Promise<TeamView> {
  const { locations, ...fields } = patch;
  return uniquely('team', () =>
    db.transaction(async (manager) => {
      const team = await repo(manager, 'Team').findOneBy({ id });
      if (!team) throw new NotFoundError(`Team ${id}`);
      const updated: Team = { ...team, ...fields, updatedAt: new Date() };
      await updateRow(manager, 'Team', id, { ...fields, updatedAt: updated.updatedAt });
      const locationsBefore = (await locationsOf(manager, [id])).get(id) ?? {};
      const locationsAfter = locations ? await setLocations(manager, id, locations) : locationsBefore;
      const before = { ...valuesBefore(team, fields), ...(locations ? { locations: locationsBefore } : {}) };
      const after = { ...fields, ...(locations ? { locations: locationsAfter } : {}) };
      await recordAudit(manager, actor, { action: 'team.updated', entityType: 'team', entityId: id, before, after });
      return { ...toJson(updated), locations: locationsAfter };
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
