import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import { createFailFastRedis, createRedis, whenReady } from '../infra/redis/connection';
import { resolveRedis, type ResolvedRedis } from '../infra/redis/resolve';

const REDIS_READY_TIMEOUT_MS = 5000;

export interface RedisConnections {
  url: string;
  /** Fails fast while Redis is down (the outbox keeps the rows): for publishing jobs and signals. */
  producer: Redis;
  /** Waits and reconnects: for workers, the event bus and subscriptions. */
  consumer: Redis;
  /** Closes both connections, then the private redis-server when the hub started one. */
  stop(): Promise<void>;
}

/** Finds Redis (REDIS_URL, the local default or a private redis-server) and opens the hub's two connections. */
export async function connectRedis(config: Config, logger: Logger, path: string, localRedisUrl: string): Promise<RedisConnections> {
  const redis: ResolvedRedis = await resolveRedis(config, path, localRedisUrl);
  logger.info({ redis: redis.source }, redis.describe);
  const producer = createFailFastRedis(redis.url);
  const consumer = createRedis(redis.url);
  for (const connection of [producer, consumer]) connection.on('error', (error) => logger.debug({ err: error }, 'redis connection error'));
  if (!(await whenReady(producer, REDIS_READY_TIMEOUT_MS))) logger.warn('Redis is not answering yet; messages wait in the outbox until it does');
  return {
    url: redis.url,
    producer,
    consumer,
    async stop() {
      await Promise.all([producer.quit(), consumer.quit()].map((quit) => quit.catch(() => undefined)));
      await redis.stop();
    },
  };
}
