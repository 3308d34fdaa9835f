import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Database } from './database';
import { insertRows, repo } from './model/schemas';

const SECRET_BYTES = 32;

/**
 * A secret the hub makes for itself on first use (e.g. to sign file links). Every process must sign with
 * the same one, so it lives in the database: when two processes start at once, one insert wins on the
 * primary key and the other reads the winner's.
 */
export async function hubSecret(db: Database, name: string): Promise<Buffer> {
  const read = async () => (await repo(db.manager, 'HubSecret').findOneBy({ name }))?.value;
  const existing = await read();
  if (existing !== undefined) return Buffer.from(existing, 'base64');
  const value = randomBytes(SECRET_BYTES).toString('base64');
  try {
    await db.transaction((manager) => insertRows(manager, 'HubSecret', { name, value, createdAt: new Date() }));
    return Buffer.from(value, 'base64');
  } catch (error) {
    if (!Database.isUniqueViolation(error)) throw error;
    const winner = await read();
    if (winner === undefined) throw error;
    return Buffer.from(winner, 'base64');
  }
}

/** Whether a secret someone gave is the expected one, in constant time: their digests are compared, so neither length nor content leaks. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
