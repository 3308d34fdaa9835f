import fc from 'fast-check';
import { toE164 } from '../../src/core/phone';

// E.164: a + and at most 15 digits; some countries have numbers of only a few digits (+49 1000 is valid).
const E164 = /^\+[1-9]\d{1,14}$/;

describe('toE164', () => {
  it.each([
    ['+1 415 555 0123', '+14155550123'],
    ['+1 (415) 555-0123', '+14155550123'],
    ['+14155550123', '+14155550123'],
    ['  +1-415-555-0123  ', '+14155550123'],
    ['+49 1512 3456789', '+4915123456789'],
    ['+44 20 7946 0018', '+442079460018'],
    ['+33 1 23 45 67 89', '+33123456789'],
    ['+683 4002', '+6834002'],
  ])('normalizes the international number %j to %s', (input, expected) => {
    expect(toE164(input)).toBe(expected);
  });

  it.each(['', ' ', 'hello', '+', '+1', '+1 555', '12345', '+999 1234 5678', '+1 415 555 0123 4567 8901', 'ada@example.com'])('refuses %j', (input) => {
    expect(toE164(input)).toBeNull();
  });

  it('refuses national numbers without a default region', () => {
    expect(toE164('(415) 555-0123')).toBeNull();
    expect(toE164('020 7946 0018')).toBeNull();
  });

  it('reads national numbers in the default region', () => {
    expect(toE164('(415) 555-0123', 'US')).toBe('+14155550123');
    expect(toE164('020 7946 0018', 'GB')).toBe('+442079460018');
    expect(toE164('01512 3456789', 'DE')).toBe('+4915123456789');
    // A number from another region is not one of this region's.
    expect(toE164('020 7946 0018', 'US')).toBeNull();
  });

  it('keeps the country code of an international number whatever the default region', () => {
    expect(toE164('+44 20 7946 0018', 'US')).toBe('+442079460018');
    expect(toE164('+1 415 555 0123', 'DE')).toBe('+14155550123');
  });

  it('returns E.164 or null for any input, and E.164 is a fixed point', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.stringMatching(/^\+?[0-9 ()-]{6,16}$/)), fc.constantFrom(undefined, 'US', 'GB', 'DE'), (input, region) => {
        const e164 = toE164(input, region);
        if (e164 === null) return;
        expect(e164).toMatch(E164);
        expect(toE164(e164)).toBe(e164);
        expect(toE164(e164, region)).toBe(e164);
      }),
      { numRuns: 500 },
    );
  });
});
