import { join } from 'node:path';
import type { Config } from '../../../config';
import { redisAnswers } from './connection';
import { startPrivateRedis } from './private-server';

export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

export interface ResolvedRedis {
  url: string;
  source: 'REDIS_URL' | 'local' | 'private';
  /** Stops a private server the hub started; a no-op for servers the hub does not own. */
  stop(): Promise<void>;
  describe: string;
}

/**
 * REDIS_URL when set; else a Redis answering on the default local port; else a private redis-server
 * started from PATH with its data under $DATA_DIR/redis. `localUrl` is the default local address (tests
 * point it where nothing answers, whatever runs on this machine's 6379).
 */
export async function resolveRedis(config: Pick<Config, 'redisUrl' | 'dataDir'>, path: string, localUrl = LOCAL_REDIS_URL): Promise<ResolvedRedis> {
  const none = () => Promise.resolve();
  if (config.redisUrl) return { url: config.redisUrl, source: 'REDIS_URL', stop: none, describe: 'Redis from REDIS_URL' };
  if (await redisAnswers(localUrl)) {
    return { url: localUrl, source: 'local', stop: none, describe: `local Redis at ${localUrl}` };
  }
  const dir = join(config.dataDir, 'redis');
  const server = await startPrivateRedis(dir, path);
  const verb = server.adopted ? 'took over the private redis-server left running' : 'started a private redis-server';
  return { url: server.url, source: 'private', stop: () => server.stop(), describe: `${verb} at ${server.url} (append-only data in ${dir})` };
}
