import { Webhook } from 'standardwebhooks';
import { signedHeaders } from '../../src/channels/crm/outgoing/sender';
import { MAX_RETRY_WAIT_MS, verdictOf } from '../../src/channels/crm/outgoing/retries';
import { loadConfig } from '../../config';

/** The Standard Webhooks spec's published test vector. */
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const endpoint = (fields: { previousSecret?: string; previousSecretExpiresAt?: Date } = {}) => ({
  secret: VECTOR.secret,
  previousSecret: fields.previousSecret ?? null,
  previousSecretExpiresAt: fields.previousSecretExpiresAt ?? null,
});

describe('the signing of outgoing webhooks', () => {
  it("matches the spec's test vector", () => {
    const headers = signedHeaders(endpoint(), VECTOR.id, VECTOR.payload, new Date(VECTOR.timestamp * 1000));
    expect(headers).toEqual({ 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature });
  });

  it('signs with both secrets during a rotation, each verifying on its own, and with the new one only after', () => {
    const old = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
    const now = new Date();
    const during = signedHeaders(endpoint({ previousSecret: old, previousSecretExpiresAt: new Date(now.getTime() + 60_000) }), 'evt_1', '{"a":1}', now);
    expect(during['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(() => new Webhook(VECTOR.secret).verify('{"a":1}', during)).not.toThrow();
    expect(() => new Webhook(old).verify('{"a":1}', during)).not.toThrow();
    const after = signedHeaders(endpoint({ previousSecret: old, previousSecretExpiresAt: new Date(now.getTime() - 1) }), 'evt_1', '{"a":1}', now);
    expect(after['webhook-signature']?.split(' ')).toHaveLength(1);
    expect(() => new Webhook(old).verify('{"a":1}', after)).toThrow();
  });
});

describe('the retry verdict of a webhook try', () => {
  const schedule = [5000, 300_000];
  const answer = (status: number, retryAfter: string | null = null) => ({ answered: true as const, status, retryAfter, text: '' });
  const middle = () => 0.5;

  it('succeeds on 2xx and fails at once on other 4xx and refused addresses', () => {
    expect(verdictOf(answer(204), 1, schedule)).toEqual({ kind: 'succeeded' });
    expect(verdictOf(answer(400), 1, schedule)).toEqual({ kind: 'failed' });
    expect(verdictOf(answer(302), 1, schedule)).toEqual({ kind: 'failed' });
    expect(verdictOf({ answered: false, error: 'private', refused: true }, 1, schedule)).toEqual({ kind: 'failed' });
  });

  it('disables the endpoint on 410 Gone', () => {
    expect(verdictOf(answer(410), 1, schedule)).toEqual({ kind: 'failed', disable: 'the receiver answered 410 Gone' });
  });

  it('retries network errors, 429 and 5xx on the schedule with ±10% jitter, then fails', () => {
    expect(verdictOf({ answered: false, error: 'ECONNREFUSED', refused: false }, 1, schedule, middle)).toEqual({ kind: 'retry', waitMs: 5000 });
    expect(verdictOf(answer(503), 2, schedule, () => 0)).toEqual({ kind: 'retry', waitMs: 270_000 });
    expect(verdictOf(answer(500), 2, schedule, () => 1)).toEqual({ kind: 'retry', waitMs: 330_000 });
    expect(verdictOf(answer(500), 3, schedule)).toEqual({ kind: 'failed' });
  });

  it('honours a longer Retry-After, capped at 10 hours, and ignores a shorter one', () => {
    expect(verdictOf(answer(429, '60'), 1, schedule, middle)).toEqual({ kind: 'retry', waitMs: 60_000 });
    expect(verdictOf(answer(429, '1'), 1, schedule, middle)).toEqual({ kind: 'retry', waitMs: 5000 });
    expect(verdictOf(answer(503, String(48 * 3600)), 1, schedule, middle)).toEqual({ kind: 'retry', waitMs: MAX_RETRY_WAIT_MS });
  });

  it('reads WEBHOOK_RETRY_SCHEDULE, defaulting to the documented schedule', () => {
    expect(loadConfig({}).webhookRetrySchedule).toEqual([5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '100ms, 200ms,1s' }).webhookRetrySchedule).toEqual([100, 200, 1000]);
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: '5 minutes' })).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: '11h' })).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
  });
});
