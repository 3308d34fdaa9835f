/** What visitors do that is counted, per visitor and per network address, to keep one client from flooding the hub. */
export const RATE_LIMITED_ACTIONS = ['messages', 'conversations', 'uploads', 'visitors', 'pageViews'] as const;
export type RateLimitedAction = (typeof RATE_LIMITED_ACTIONS)[number];

/** Who is counted: the visitor (absent before there is one) and the address the request came from. */
export interface RateLimitSubject {
  visitorId?: string;
  ip: string;
}

/**
 * Counters with a limit per time window, shared by every process. `take` counts one of each action
 * for the subject, or throws TooManyRequestsError and counts none of them, so a refused request
 * costs the client nothing more.
 */
export interface RateLimits {
  take(actions: readonly RateLimitedAction[], subject: RateLimitSubject): Promise<void>;
}
