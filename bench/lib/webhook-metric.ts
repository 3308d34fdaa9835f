/** Cumulative counts of `switchboard_webhook_first_attempt_delay_seconds` by bucket bound (seconds; +Inf last). */
export type Histogram = Map<number, number>;

const BUCKET = /^switchboard_webhook_first_attempt_delay_seconds_bucket\{le="([^"]+)"\} (\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/;

/** The hub's histogram as its `GET /metrics` shows it now. */
export async function firstAttemptHistogram(hubUrl: string): Promise<Histogram> {
  const answer = await fetch(`${hubUrl}/metrics`);
  if (!answer.ok) throw new Error(`GET /metrics answered ${answer.status}`);
  const histogram: Histogram = new Map();
  for (const line of (await answer.text()).split('\n')) {
    const match = BUCKET.exec(line);
    if (match?.[1] && match[2]) histogram.set(match[1] === '+Inf' ? Infinity : Number(match[1]), Number(match[2]));
  }
  return histogram;
}

/**
 * The p99 of what was observed between two readings, as the bound of the bucket it falls in (ms):
 * the histogram has no finer answer. Null when nothing was observed; Infinity past the last bound.
 */
export function firstAttemptDelayP99(before: Histogram, after: Histogram): number | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) return null;
  for (const bound of bounds) {
    if ((after.get(bound) ?? 0) - (before.get(bound) ?? 0) >= 0.99 * total) return bound * 1000;
  }
  return Infinity;
}
