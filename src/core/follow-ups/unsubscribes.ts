import type { Database } from '../database';
import { repo } from '../model/schemas';
import type { ChannelName } from '../model/types';
import { retryOnUniqueViolation } from '../unique';
import { cancelFollowUpsTo } from './follow-ups';

/** Addresses compare without regard to case: `Ana@Example.com` who unsubscribed is `ana@example.com`. */
function normalized(address: string): string {
  return address.trim().toLowerCase();
}

/**
 * Records that an address wants nothing the hub sends by itself on a channel, and cancels what is
 * scheduled for it. Recording it again changes nothing. Returns true when it is new.
 */
export async function recordUnsubscribe(db: Database, channel: ChannelName, address: string): Promise<boolean> {
  const key = { channel, address: normalized(address) };
  // Two clicks at once race on the primary key; the loser's retry finds the winner's row.
  return retryOnUniqueViolation(() =>
    db.transaction(async (manager) => {
      const unsubscribes = repo(manager, 'Unsubscribe');
      const known = await unsubscribes.existsBy(key);
      if (!known) await unsubscribes.insert({ ...key, createdAt: new Date() });
      await cancelFollowUpsTo(manager, channel, key.address);
      return !known;
    }),
  );
}

export async function isUnsubscribed(db: Database, channel: ChannelName, address: string): Promise<boolean> {
  return repo(db.manager, 'Unsubscribe').existsBy({ channel, address: normalized(address) });
}
