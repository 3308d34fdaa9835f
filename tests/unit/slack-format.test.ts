import { parseDuration, tomorrowMorning } from '../../src/channels/slack/desk';
import { escapeSlack, headerMessage, plainText } from '../../src/channels/slack/format';

describe('Slack text', () => {
  it('escapes customer text so Slack shows it as typed', () => {
    expect(escapeSlack('<!channel> & <@U123> <https://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt;');
  });

  it('turns an agent’s Slack markup into the plain text a customer reads', () => {
    expect(plainText('Fish &amp; chips &lt;3')).toBe('Fish & chips <3');
    expect(plainText('See <https://example.com/help|our help page>')).toContain('our help page');
  });
});

describe('the thread header', () => {
  const facts = { conversationId: 'c1', contactName: 'Ada', contactAddress: 'ada@customer.example', channel: 'email', status: 'open' as const, assignee: null, team: null };
  const texts = (header: { blocks: unknown[] }) => JSON.stringify(header.blocks);

  it("shows an email conversation's subject, escaped", () => {
    expect(texts(headerMessage({ ...facts, subject: 'Order <42> & co' }))).toContain('*Subject:* Order &lt;42&gt; &amp; co');
  });

  it('has no subject line for conversations without one', () => {
    expect(texts(headerMessage({ ...facts, channel: 'sms', subject: null }))).not.toContain('Subject:');
  });
});

describe('desk commands', () => {
  it.each([
    ['30m', 30 * 60_000],
    ['2h', 2 * 3_600_000],
    ['1d', 86_400_000],
    [' 45 min ', 45 * 60_000],
  ])('reads %j as a duration', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '0h', '2 weeks', '-1h', '9999d', 'h'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('snoozes "until tomorrow" to 09:00 UTC on the next day, across months and years', () => {
    expect(tomorrowMorning(new Date('2026-11-25T23:59:00Z')).toISOString()).toBe('2026-11-26T09:00:00.000Z');
    expect(tomorrowMorning(new Date('2026-12-31T08:00:00Z')).toISOString()).toBe('2027-01-01T09:00:00.000Z');
  });
});
