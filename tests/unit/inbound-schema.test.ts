import fc from 'fast-check';
import { inboundSchema } from '../../src/channels/api/schema';

const MAX = 20;
const schema = inboundSchema({ messageMaxLength: MAX });
const withRegion = inboundSchema({ messageMaxLength: MAX, defaultPhoneRegion: 'US' });

function failingPaths(result: ReturnType<typeof schema.safeParse>): string[] {
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
}

describe('the inbound message schema of the API channel', () => {
  it('accepts a full message and normalizes it', () => {
    const parsed = schema.parse({
      sourceId: '  crm-1 ',
      contact: { externalId: ' cust-1 ', name: ' Ada Lovelace ', email: 'Ada.Lovelace@Example.COM', phone: '+1 (415) 555-0123' },
      body: ' Hello ',
      attachments: [{ url: 'https://example.com/a.png', contentType: 'image/png', name: 'a.png', size: 10 }, { url: 'http://example.com/b' }],
    });
    expect(parsed).toEqual({
      sourceId: 'crm-1',
      contact: { externalId: 'cust-1', name: 'Ada Lovelace', email: 'ada.lovelace@example.com', phone: '+14155550123' },
      body: ' Hello ',
      attachments: [{ url: 'https://example.com/a.png', contentType: 'image/png', name: 'a.png', size: 10 }, { url: 'http://example.com/b' }],
    });
  });

  it.each([{ externalId: 'x' }, { email: 'a@example.com' }, { phone: '+14155550123' }])('accepts %j alone as the contact', (contact) => {
    expect(schema.safeParse({ sourceId: 's', contact, body: 'hi' }).success).toBe(true);
  });

  it('lower-cases any email it accepts', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{1,10}(\.[A-Za-z0-9]{1,5})?@[A-Za-z0-9]{1,10}\.[A-Za-z]{2,6}$/), (email) => {
        const parsed = schema.parse({ sourceId: 's', contact: { email }, body: 'hi' });
        expect(parsed.contact.email).toBe(email.toLowerCase());
      }),
    );
  });

  it('refuses national phone numbers unless DEFAULT_PHONE_REGION is set, then stores them in E.164', () => {
    const input = { sourceId: 's', contact: { phone: '(415) 555-0123' }, body: 'hi' };
    const refused = schema.safeParse(input);
    expect(failingPaths(refused)).toEqual(['contact.phone']);
    expect(refused.error?.issues[0]?.message).toMatch(/international format/);
    expect(withRegion.parse(input).contact.phone).toBe('+14155550123');
    expect(failingPaths(withRegion.safeParse({ ...input, contact: { phone: '555' } }))).toEqual(['contact.phone']);
  });

  it('takes a body up to the configured length', () => {
    expect(schema.safeParse({ sourceId: 's', contact: { externalId: 'x' }, body: 'x'.repeat(MAX) }).success).toBe(true);
    expect(failingPaths(schema.safeParse({ sourceId: 's', contact: { externalId: 'x' }, body: 'x'.repeat(MAX + 1) }))).toEqual(['body']);
  });

  it('takes an empty body when there is an attachment, and up to 10 attachments', () => {
    const attachment = { url: 'https://example.com/a.png' };
    expect(schema.safeParse({ sourceId: 's', contact: { externalId: 'x' }, body: '', attachments: [attachment] }).success).toBe(true);
    expect(schema.safeParse({ sourceId: 's', contact: { externalId: 'x' }, body: 'hi', attachments: Array.from({ length: 10 }, () => attachment) }).success).toBe(true);
    expect(failingPaths(schema.safeParse({ sourceId: 's', contact: { externalId: 'x' }, body: 'hi', attachments: Array.from({ length: 11 }, () => attachment) }))).toEqual(['attachments']);
  });

  it('refuses what cannot identify or be stored', () => {
    expect(failingPaths(schema.safeParse({ sourceId: 's', contact: { name: 'Ada' }, body: 'hi' }))).toEqual(['contact']);
    expect(failingPaths(schema.safeParse({ sourceId: 's', contact: { email: `${'a'.repeat(64)}@${'b'.repeat(190)}.com` }, body: 'hi' }))).toEqual(['contact.email']);
    expect(failingPaths(schema.safeParse({ sourceId: 's', contact: { externalId: 'x' }, body: 'a\u0000' }))).toEqual(['body']);
    expect(failingPaths(schema.safeParse({ sourceId: 'x'.repeat(256), contact: { externalId: 'x' }, body: 'hi' }))).toEqual(['sourceId']);
  });
});
