import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { TooManyRequestsError } from '../../core/errors';
import type { RateLimitedAction, RateLimits, RateLimitSubject } from '../../core/ports/rate-limits';

/** One action's limits: at most `perVisitor` and `perIp` in any window of `windowSeconds` (unset: not limited that way). */
export interface ActionLimit {
  windowSeconds: number;
  perVisitor?: number;
  perIp?: number;
}

export type RateLimitSettings = Record<RateLimitedAction, ActionLimit>;

/** How a refusal names what there was too much of. */
const WHAT: Record<RateLimitedAction, string> = {
  messages: 'messages',
  conversations: 'new conversations',
  uploads: 'uploads',
  visitors: 'new visitors',
  pageViews: 'page views',
};

interface Counter {
  action: RateLimitedAction;
  limiter: RateLimiterAbstract;
  key: string;
}

/**
 * Rate limits in Redis (rate-limiter-flexible), so every process counts against the same totals. While
 * Redis is unreachable each process counts in memory instead: limits stay roughly right rather than
 * failing every request or letting everything through.
 */
export class RedisRateLimits implements RateLimits {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(redis: Redis, prefix: string, settings: RateLimitSettings) {
    for (const [action, limit] of Object.entries(settings) as [RateLimitedAction, ActionLimit][]) {
      for (const [by, points] of [['visitor', limit.perVisitor], ['ip', limit.perIp]] as const) {
        if (points === undefined) continue;
        const options = { points, duration: limit.windowSeconds };
        const limiter = new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${prefix}:rate:${action}:${by}`,
          ...options,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory(options),
        });
        this.limiters.set(`${action}:${by}`, limiter);
      }
    }
  }

  async take(actions: readonly RateLimitedAction[], subject: RateLimitSubject): Promise<void> {
    const counters = actions.flatMap((action) => this.countersOf(action, subject));
    // All at once: one round trip of latency for the request, however many counters it takes from.
    const outcomes = await Promise.allSettled(counters.map((counter) => counter.limiter.consume(counter.key)));
    const refusedAt = outcomes.findIndex((outcome) => outcome.status === 'rejected');
    if (refusedAt === -1) return;
    const refusal = outcomes[refusedAt];
    const reason: unknown = refusal?.status === 'rejected' ? refusal.reason : undefined;
    // Give back what this request took: it is refused as a whole.
    await Promise.all(counters.filter((_, i) => outcomes[i]?.status === 'fulfilled').map((counter) => counter.limiter.reward(counter.key)));
    if (!(reason instanceof RateLimiterRes)) throw reason;
    const counter = counters[refusedAt];
    const seconds = Math.max(1, Math.ceil(reason.msBeforeNext / 1000));
    throw new TooManyRequestsError(`Too many ${counter ? WHAT[counter.action] : 'requests'}; try again in ${seconds} seconds.`, seconds);
  }

  private countersOf(action: RateLimitedAction, subject: RateLimitSubject): Counter[] {
    const counters: Counter[] = [];
    const byVisitor = this.limiters.get(`${action}:visitor`);
    if (byVisitor && subject.visitorId !== undefined) counters.push({ action, limiter: byVisitor, key: subject.visitorId });
    const byIp = this.limiters.get(`${action}:ip`);
    if (byIp) counters.push({ action, limiter: byIp, key: subject.ip });
    return counters;
  }
}
