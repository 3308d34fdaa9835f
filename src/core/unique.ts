import { Database } from './database';
import { ConflictError } from './errors';

/** Runs work that may hit a unique constraint; hitting it is a conflict `<what>_exists`, not a database error. */
export async function uniquely<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (Database.isUniqueViolation(error)) throw new ConflictError(`${what}_exists`, `Another ${what} already has this unique value (email, channel account or name).`);
    throw error;
  }
}

const ATTEMPTS = 4;

/**
 * Runs a transaction again when it lost a race on a unique key (two first messages from one sender, two
 * retries of one request): the next attempt finds the winner's rows.
 */
export async function retryOnUniqueViolation<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!Database.isUniqueViolation(error) || n >= ATTEMPTS) throw error;
    }
  }
}
