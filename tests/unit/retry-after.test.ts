import { httpFailure, retryAfterMs } from '../../src/channels/retry-after';

describe('retryAfterMs', () => {
  const now = Date.parse('2025-11-25T12:00:00Z');

  it('is undefined when the header is absent or empty', () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
  });

  it.each([
    ['0', 0],
    ['1', 1000],
    ['30', 30_000],
    ['120', 120_000],
    [' 5 ', 5000],
  ])('reads delay-seconds %j as %d ms', (header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });

  it('reads an HTTP date as the time until then', () => {
    expect(retryAfterMs('Tue, 25 Nov 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
  });

  it('reads an HTTP date in the past as "now"', () => {
    expect(retryAfterMs('Tue, 25 Nov 2025 11:59:00 GMT', now)).toBe(0);
  });

  it('reads the obsolete HTTP date forms recipients must accept (RFC 850, asctime)', () => {
    expect(retryAfterMs('Tuesday, 25-Nov-25 12:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('Tue Nov 25 12:01:00 2025', now)).toBeGreaterThanOrEqual(0);
  });

  it.each(['soon', 'later please', '12abc', '-1', '-30', '1.5', '0x10', '1e3', 'Infinity', 'NaN', '1 2'])('is undefined for the unreadable value %j', (header) => {
    expect(retryAfterMs(header, now)).toBeUndefined();
  });
});

describe('httpFailure', () => {
  it('waits for a 429’s Retry-After (a second when it names none), retries 5xx and gives up on other statuses', () => {
    expect(httpFailure(429, '7', 'busy')).toMatchObject({ name: 'RateLimitedError', retryAfterMs: 7000 });
    expect(httpFailure(429, null, 'busy')).toMatchObject({ name: 'RateLimitedError', retryAfterMs: 1000 });
    expect(httpFailure(503, '2', 'down')).toMatchObject({ name: 'RetryableDeliveryError', retryAfterMs: 2000 });
    expect(httpFailure(500, null, 'down')).toMatchObject({ name: 'RetryableDeliveryError', retryAfterMs: undefined });
    expect(httpFailure(410, null, 'gone')).toMatchObject({ name: 'PermanentDeliveryError', code: 'http_410', message: 'gone' });
  });
});
