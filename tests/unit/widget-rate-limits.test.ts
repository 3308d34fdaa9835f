import { createFailFastRedis } from '../../src/infra/redis/connection';
import { RedisRateLimits } from '../../src/infra/redis/rate-limits';
import { TooManyRequestsError } from '../../src/core/errors';

/** While Redis cannot be reached, each process still counts, in memory: limits hold and requests still pass. */
describe('widget rate limits without Redis', () => {
  const redis = createFailFastRedis('redis://127.0.0.1:9', { lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  afterAll(() => redis.disconnect());

  it('counts in memory, refusing past the limit with the time to wait', async () => {
    const limits = new RedisRateLimits(redis, 'unit', {
      messages: { windowSeconds: 60, perVisitor: 2, perIp: 100 },
      conversations: { windowSeconds: 3600, perVisitor: 1 },
      uploads: { windowSeconds: 3600 },
      visitors: { windowSeconds: 3600, perIp: 1 },
      pageViews: { windowSeconds: 3600 },
    });
    const subject = { visitorId: 'v1', ip: '192.0.2.1' };
    await limits.take(['messages', 'conversations'], subject);
    // The conversation limit refuses the second message as a whole: its message point is given back.
    await expect(limits.take(['messages', 'conversations'], subject)).rejects.toBeInstanceOf(TooManyRequestsError);
    await limits.take(['messages'], subject);
    const refused = await limits.take(['messages'], subject).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect(refused).toMatchObject({ kind: 'rate_limited', code: 'rate_limited', message: expect.stringMatching(/^Too many messages; try again in \d+ seconds\.$/) as unknown });
    expect((refused as TooManyRequestsError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((refused as TooManyRequestsError).retryAfterSeconds).toBeLessThanOrEqual(60);
    // Actions without limits are never refused; a visitor-less subject is counted by address only.
    for (let i = 0; i < 5; i++) await limits.take(['uploads', 'pageViews'], subject);
    await limits.take(['visitors'], { ip: '192.0.2.9' });
    await expect(limits.take(['visitors'], { ip: '192.0.2.9' })).rejects.toBeInstanceOf(TooManyRequestsError);
  });
});
