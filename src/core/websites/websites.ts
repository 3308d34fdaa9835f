import type { Database } from '../database';
import { repo } from '../model/schemas';
import type { Website } from '../model/types';

/** The channel name of the web chat widget: its identities, conversations and inboxes. */
export const WIDGET_CHANNEL = 'widget';

export async function findWebsiteByKey(db: Database, key: string): Promise<Website | null> {
  return repo(db.manager, 'Website').findOneBy({ key });
}
