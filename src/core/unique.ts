import { Database } from './database';
import { ConflictError } from './errors';

/** Runs work that may hit a unique constraint; hitting it is a 409 `<what>_exists`, not a database error. */
export async function uniquely<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (Database.isUniqueViolation(error)) throw new ConflictError(`${what}_exists`, `Another ${what} already has this unique value (email, Slack user id or name).`);
    throw error;
  }
}
