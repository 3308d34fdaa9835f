import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRedis } from '../../src/infra/redis/resolve';

/**
 * One Redis for the whole run, found the way `npm start` finds it: REDIS_URL, else the local default
 * port, else a private redis-server (in a folder removed at the end). Test files isolate themselves
 * with key prefixes.
 */
export default async function globalSetup(): Promise<void> {
  const dataDir = join(tmpdir(), `switchboard-test-redis-${process.pid}`);
  const redis = await resolveRedis({ redisUrl: process.env.REDIS_URL, dataDir }, process.env.PATH ?? '');
  process.env.REDIS_URL = redis.url;
  (globalThis as { testRedis?: { stop(): Promise<void>; dataDir: string } }).testRedis = { stop: () => redis.stop(), dataDir };
}
