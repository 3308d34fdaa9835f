import { Redis, type RedisOptions } from 'ioredis';

/** A connection for commands that should wait while Redis reconnects (workers, subscribers). */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, ...options });
}

/**
 * A connection that fails at once while Redis is unreachable instead of queueing commands, for work that
 * has somewhere else to go meanwhile (the outbox keeps unpublished rows; /readyz should answer quickly).
 */
export function createFailFastRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, ...options });
}

/** True when a Redis server answers PING at the URL within the timeout. */
export async function redisAnswers(url: string, timeoutMs = 500): Promise<boolean> {
  // disconnectTimeout 0: ioredis otherwise keeps a 2 s timer alive after a refused probe, holding the process open.
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, disconnectTimeout: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until the connection is ready, at most `timeoutMs`. The hub starts without Redis if it must
 * (the outbox keeps what it cannot publish), but need not report itself unready for a moment at start.
 */
export function whenReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}
