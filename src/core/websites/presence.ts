import type { Database } from '../database';
import type { Website } from '../model/types';
import { Sql } from '../sql';

/**
 * Whether someone is there to answer a website's visitors: an online agent of the website's team, or any
 * online agent when the website has no team.
 */
export async function isWebsiteOnline(db: Database, website: Pick<Website, 'teamId'>): Promise<boolean> {
  const sql = new Sql(db.manager, db.engine);
  const rows = website.teamId
    ? await sql.rows(`SELECT 1 AS one FROM agents a JOIN team_members m ON m."agentId" = a.id WHERE m."teamId" = ? AND a.status = 'online' LIMIT 1`, [website.teamId])
    : await sql.rows(`SELECT 1 AS one FROM agents WHERE status = 'online' LIMIT 1`, []);
  return rows.length > 0;
}
