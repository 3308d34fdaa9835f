import type { Actor } from '../actor';
import type { Database } from '../database';
import type { ChannelName, Website } from '../model/types';
import { toJson, type Json } from '../serialize';
import { retryOnUniqueViolation } from '../unique';
import { normalizeAllowedOrigin, originOf } from './origins';
import { createWebsite, findWebsiteByKey, updateWebsite } from './websites';

/** The demo website's fixed key, written in the script tag of the hub's own /demo page. */
export const DEMO_WEBSITE_KEY = 'wk_demo';

export interface DemoSite {
  publicUrl: string;
  port: number;
}

/** Where the demo page can be opened: the hub's public address, and localhost by name and by IP. */
export function demoOrigins({ publicUrl, port }: DemoSite): string[] {
  const candidates = [originOf(publicUrl) ?? '', `http://localhost:${port}`, `http://127.0.0.1:${port}`];
  return [...new Set(candidates.map(normalizeAllowedOrigin).filter((origin) => origin !== undefined))];
}

/**
 * Makes sure the demo website exists and allows the origins the hub is reached at now (a changed
 * PUBLIC_URL or PORT adds its origin; origins added by hand stay). Shared by `seed-demo` and /demo.
 */
export async function ensureDemoWebsite(db: Database, channel: ChannelName, site: DemoSite, actor: Actor): Promise<{ website: Json<Website>; created: boolean }> {
  const origins = demoOrigins(site);
  // Two processes serving /demo at once race to create it; the loser's retry finds the winner's.
  return retryOnUniqueViolation(async () => {
    const existing = await findWebsiteByKey(db, DEMO_WEBSITE_KEY);
    if (!existing) {
      const website = await createWebsite(
        db,
        channel,
        {
          name: 'Demo shop',
          allowedOrigins: origins,
          greeting: 'Hi! This is the Switchboard demo. Ask anything: you answer yourself through the API.',
          awayMessage: 'Nobody is online right now. Leave your email and your question, and we will write back.',
        },
        actor,
        DEMO_WEBSITE_KEY,
      );
      return { website, created: true };
    }
    const missing = origins.filter((origin) => !existing.allowedOrigins.includes(origin));
    if (missing.length === 0) return { website: toJson(existing), created: false };
    return { website: await updateWebsite(db, channel, existing.id, { allowedOrigins: [...existing.allowedOrigins, ...missing] }, actor), created: false };
  });
}
