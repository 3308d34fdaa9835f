import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const redis = (globalThis as { testRedis?: { stop(): Promise<void>; dataDir: string } }).testRedis;
  if (!redis) return;
  await redis.stop();
  rmSync(redis.dataDir, { recursive: true, force: true });
}
