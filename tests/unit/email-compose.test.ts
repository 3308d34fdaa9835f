import { capReferences, composeMail, htmlFromText, MAX_REFERENCES } from '../../src/channels/email/send/compose';
import { escapeHtml } from '../../src/core/html';
import type { OutgoingMail } from '../../src/channels/email/mail';

const base: OutgoingMail = {
  from: { address: 'support@acme.test', name: 'Grace at Acme' },
  to: { address: 'ada@example.test' },
  messageId: 'm1@acme.test',
  subject: 'Re: Hello',
  text: 'Hi',
};

describe('htmlFromText', () => {
  it('escapes the five HTML characters and links nothing', () => {
    expect(escapeHtml(`<script>alert("x" & 'y')</script>`)).toBe('&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;');
    const html = htmlFromText('see https://example.test/?a=1&b=2 <b>now</b>');
    expect(html).toContain('see https://example.test/?a=1&amp;b=2 &lt;b&gt;now&lt;/b&gt;');
    expect(html).not.toContain('<a');
    expect(html).not.toContain('<b>');
  });

  it('makes paragraphs of blank-line separated blocks and <br> of single line breaks', () => {
    const html = htmlFromText('Hello Ada,\r\nthanks.\n\n \nSecond\n\n\nThird');
    expect(html).toContain('<p>Hello Ada,<br>\nthanks.</p>\n<p>Second</p>\n<p>Third</p>');
  });
});

describe('capReferences', () => {
  it('keeps short lists as they are', () => {
    expect(capReferences(['a', 'b'])).toEqual(['a', 'b']);
  });

  it('keeps the first id and the most recent ones, 20 in all', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `id${i}@x`);
    const capped = capReferences(ids);
    expect(capped).toHaveLength(MAX_REFERENCES);
    expect(capped[0]).toBe('id0@x');
    expect(capped[1]).toBe('id11@x');
    expect(capped[capped.length - 1]).toBe('id29@x');
  });
});

describe('composeMail', () => {
  it('brackets the ids, names the hub and builds the HTML from the text', () => {
    const options = composeMail({ ...base, inReplyTo: 'c@x', references: ['a@x', 'b@x'], replyTo: { address: 'support+tok@acme.test' } }, { hubId: 'hub-1' });
    expect(options.messageId).toBe('<m1@acme.test>');
    expect(options.inReplyTo).toBe('<c@x>');
    expect(options.references).toBe('<a@x> <b@x>');
    expect(options.from).toEqual({ name: 'Grace at Acme', address: 'support@acme.test' });
    expect(options.replyTo).toBe('support+tok@acme.test');
    expect(options.headers).toEqual({ 'X-Switchboard-Hub': 'hub-1' });
    expect(options.html).toContain('<p>Hi</p>');
  });

  it('keeps a given HTML part and leaves out absent threading headers', () => {
    const options = composeMail({ ...base, html: '<p>Own</p>' }, { hubId: 'h' });
    expect(options.html).toBe('<p>Own</p>');
    expect(options).not.toHaveProperty('inReplyTo');
    expect(options).not.toHaveProperty('references');
    expect(options).not.toHaveProperty('replyTo');
  });

  it('marks automatic mail as RFC 3834 and RFC 8058 ask, without Precedence', () => {
    const options = composeMail({ ...base, automatic: { unsubscribeUrl: 'https://hub.test/u/abc' } }, { hubId: 'h' });
    expect(options.headers).toEqual({
      'X-Switchboard-Hub': 'h',
      'Auto-Submitted': 'auto-replied',
      'X-Auto-Response-Suppress': 'All',
      'List-Unsubscribe': '<https://hub.test/u/abc>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });
});
