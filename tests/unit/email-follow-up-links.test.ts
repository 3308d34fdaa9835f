import { randomBytes } from 'node:crypto';
import { LinkTokens } from '../../src/channels/email/follow-ups/tokens';
import { renderTranscriptText } from '../../src/core/conversations/transcript';

/** The signed tokens of the follow-up mail's links, and the plain-text transcript. */
describe('follow-up link tokens', () => {
  const tokens = new LinkTokens(randomBytes(32));
  const later = new Date(Date.now() + 60_000);

  it('names the follow-up of a rating link until it expires', () => {
    const token = tokens.rating('f-1', later);
    expect(tokens.checkRating(token)).toEqual({ ok: true, value: 'f-1' });
    expect(tokens.checkRating(token, new Date(later.getTime() + 1000))).toEqual({ ok: false, why: 'expired' });
  });

  it('names the address of an unsubscribe link, which does not expire', () => {
    expect(tokens.checkUnsubscribe(tokens.unsubscribe('ana@example.com'))).toEqual({ ok: true, value: 'ana@example.com' });
  });

  it('refuses a token changed anywhere, signed with another secret, of the other kind, or malformed', () => {
    const token = tokens.rating('f-1', later);
    const [payload = '', signature = ''] = token.split('.');
    const other = Buffer.from(JSON.stringify({ k: 'rating', f: 'f-2', e: Math.floor(later.getTime() / 1000) })).toString('base64url');
    const refused = [
      `${other}.${signature}`,
      `${payload}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
      // The same bytes spelled otherwise: the last character's spare bits changed.
      `${payload}.${signature.slice(0, -1)}${String.fromCharCode(signature.charCodeAt(signature.length - 1) ^ 1)}`,
      new LinkTokens(randomBytes(32)).rating('f-1', later),
      tokens.unsubscribe('ana@example.com'),
      '',
      '.',
      `${payload}.`,
      `${token}.x`,
      'x'.repeat(5000),
      'not-base64!.%%%',
    ];
    for (const bad of refused) expect({ bad, check: tokens.checkRating(bad) }).toEqual({ bad, check: { ok: false, why: 'invalid' } });
    expect(tokens.checkUnsubscribe(token)).toEqual({ ok: false, why: 'invalid' });
  });
});

describe('renderTranscriptText', () => {
  it('writes each message under its sender and time, indented, with its files', () => {
    const at = new Date('2024-05-01T14:03:00Z');
    const text = renderTranscriptText({
      with: 'Shop',
      conversation: { id: 'c', createdAt: at },
      messages: [
        { senderKind: 'contact', senderId: null, body: 'Hi\nthere', attachments: [], createdAt: at },
        { senderKind: 'agent', senderId: 'a', body: 'Hello', attachments: [{ url: 'u', name: 'label.png', contentType: 'image/png' }], createdAt: at },
      ],
      agentNames: new Map([['a', 'Grace']]),
    });
    expect(text).toBe('Conversation with Shop\n\nStarted 2024-05-01 14:03 UTC\n\nYou, 2024-05-01 14:03 UTC:\n  Hi\n  there\n\nGrace, 2024-05-01 14:03 UTC:\n  Hello\n  [file: label.png (image/png)]\n');
  });
});
