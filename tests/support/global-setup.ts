import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRedis } from '../../src/infra/redis/resolve';

/**
 * One Redis for the whole run, found the way `npm start` finds it: REDIS_URL, else the local default
 * port, else a private redis-server. Test files isolate themselves with key prefixes.
 */
export default async function globalSetup(): Promise<void> {
  const redis = await resolveRedis({ redisUrl: process.env.REDIS_URL, dataDir: mkdtempSync(join(tmpdir(), 'switchboard-test-redis-')) }, process.env.PATH ?? '');
  process.env.REDIS_URL = redis.url;
  (globalThis as { stopTestRedis?: () => Promise<void> }).stopTestRedis = () => redis.stop();
}
