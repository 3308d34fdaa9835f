/** Shared by channels whose providers answer HTTP 429/503 with a Retry-After header. */

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
