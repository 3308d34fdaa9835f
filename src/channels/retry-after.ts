/** Shared by channels whose providers answer over HTTP, with 429/503 and a Retry-After header. */
import { PermanentDeliveryError, RateLimitedError, RetryableDeliveryError } from '../core/errors';

/** Seconds or an HTTP date, as Retry-After allows; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  // delay-seconds is digits only; anything else must be an HTTP date, which names a day and month.
  // (Date.parse alone reads "-1" or "1 2" as dates in the past, i.e. "retry now".)
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (!/[A-Za-z]{3}/.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** How long to wait after a 429 that names no time. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1000;

/**
 * The delivery error for a provider's failed HTTP answer: 429 waits for its Retry-After, 5xx is retried
 * with backoff (or after its Retry-After), any other status fails for good, since sending the same
 * request again would be refused again.
 */
export function httpFailure(status: number, retryAfter: string | null, message: string): Error {
  if (status === 429) return new RateLimitedError(message, retryAfterMs(retryAfter) ?? DEFAULT_RATE_LIMIT_WAIT_MS);
  if (status >= 500) return new RetryableDeliveryError(message, retryAfterMs(retryAfter));
  return new PermanentDeliveryError(message, `http_${status}`);
}
