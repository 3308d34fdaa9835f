import { In, type EntityManager } from 'typeorm';
import { insertRows, repo } from '../model/schemas';
import type { ChannelName } from '../model/types';

/**
 * Where channels keep each team's conversations (team_locations), read and written with the team, in
 * the team's transaction. Core keeps them as opaque ids: each channel knows what its ids look like.
 */

/** Each channel's location of a team, by channel. */
export type TeamLocations = Record<ChannelName, string>;

/** The locations of each team. */
export async function locationsOf(manager: EntityManager, teamIds: readonly string[]): Promise<Map<string, TeamLocations>> {
  const byTeam = new Map<string, TeamLocations>(teamIds.map((id) => [id, {}]));
  if (teamIds.length === 0) return byTeam;
  const rows = await repo(manager, 'TeamLocation').find({ where: { teamId: In([...teamIds]) }, order: { channel: 'ASC' } });
  for (const row of rows) {
    const locations = byTeam.get(row.teamId);
    if (locations) locations[row.channel] = row.location;
  }
  return byTeam;
}

/** Sets the team's location on each channel named, null removing it; other channels' stay. Answers the team's locations after the change. */
export async function setLocations(manager: EntityManager, teamId: string, locations: Readonly<Record<ChannelName, string | null>>): Promise<TeamLocations> {
  const channels = Object.keys(locations);
  if (channels.length > 0) await repo(manager, 'TeamLocation').delete({ teamId, channel: In(channels) });
  const rows = Object.entries(locations).flatMap(([channel, location]) => (location === null ? [] : [{ teamId, channel, location }]));
  if (rows.length > 0) await insertRows(manager, 'TeamLocation', rows);
  return (await locationsOf(manager, [teamId])).get(teamId) ?? {};
}
