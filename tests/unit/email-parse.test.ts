import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../src/core/errors';
import { parseEmail } from '../../src/channels/email/parse';
import { pngBytes } from '../support/files';
import { EMAIL_FIXTURES, readFixture } from '../support/email-fixtures';

/** A mail written the way a test can read it; CRLF on the wire. */
function mail(headers: string, body: string): Buffer {
  return Buffer.from(`${headers.trim()}\n\n${body}`.replace(/\r?\n/g, '\r\n'), 'utf8');
}

const PLAIN = 'From: Ada <ada@example.com>\nTo: support@example.test\nSubject: Hello\nMessage-ID: <plain-1@example.com>';

describe('the fixture corpus', () => {
  it.each(EMAIL_FIXTURES.map((fixture) => [fixture.file, fixture] as const))('%s parses to its new text, sender, thread and kind', async (file, fixture) => {
    const parsed = await parseEmail(readFixture(file));
    expect(parsed.body).toBe(fixture.expectedBody);
    expect(parsed.kind).toEqual(fixture.kind);
    expect(parsed.from).toEqual(fixture.from);
    expect(parsed.subject).toBe(fixture.subject);
    if (fixture.inReplyTo !== undefined) {
      expect(parsed.inReplyTo).toEqual([fixture.inReplyTo]);
      expect(parsed.references[parsed.references.length - 1]).toBe(fixture.inReplyTo);
    }
    expect(parsed.attachments.map((attachment) => ({ filename: attachment.filename, contentType: attachment.contentType, bytes: attachment.content.length, inline: attachment.inline, ...(attachment.contentId !== undefined && { contentId: attachment.contentId }) }))).toEqual(fixture.attachments);
    expect(parsed.messageId).toMatch(/^[^<>\sA-Z]+@[^<>\sA-Z]+$/);
    expect(parsed.date).toBeInstanceOf(Date);
    expect(parsed.sentByHub).toBeUndefined();
  });

  it('lists every .eml file of the folder, so none goes untested', () => {
    const files = readdirSync(join(__dirname, '..', 'fixtures', 'email')).filter((name) => name.endsWith('.eml'));
    expect(EMAIL_FIXTURES.map((fixture) => fixture.file).sort()).toEqual(files.sort());
  });

  it('every fixture travels with CRLF line ends', () => {
    for (const { file } of EMAIL_FIXTURES) expect(readFixture(file).toString('latin1')).not.toMatch(/[^\r]\n/);
  });

  it('reads the ids of the thread, normalized, and the date', async () => {
    const parsed = await parseEmail(readFixture('thunderbird-reply.eml'));
    expect(parsed.messageId).toBe('3c1e5a7b-9d2f-4b6a-8e0c-1f3a5b7c9d2e@example.com');
    expect(parsed.references).toEqual(['9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a@example.com', 'hub-thunderbird@mail.example.test']);
    expect(parsed.date?.toISOString()).toBe('2026-12-02T13:20:33.000Z');
    const outlook = await parseEmail(readFixture('outlook-desktop-reply.eml'));
    expect(outlook.messageId).toBe('am0pr01mb5432a1b2c3d4e5f6a7b8c9d0e1f2@am0pr01mb5432.eurprd01.prod.example.com');
  });
});

describe('charsets', () => {
  it('decodes ISO-8859-1 quoted-printable, in the body and in encoded words', async () => {
    const parsed = await parseEmail(readFixture('iso-8859-1-quoted-printable.eml'));
    expect(parsed.text).toContain('ich möchte meine Bestellung ändern: statt 3 Stück bitte 5 Stück der Größe XL');
    expect(parsed.text).toContain('Mit freundlichen Grüßen\nJürgen Müller');
    expect(parsed.subject).toBe('Re: Änderung meiner Bestellung');
    expect(parsed.from?.name).toBe('Jürgen Müller');
  });

  it('decodes windows-1252 bytes that ISO-8859-1 does not have (curly quotes, dash, euro)', async () => {
    const raw = readFixture('windows-1252.eml');
    expect(raw.includes(Buffer.from([0x93]))).toBe(true);
    const parsed = await parseEmail(raw);
    expect(parsed.text).toContain('The “Pro” plan costs €49 a month – that’s what your website says');
    expect(parsed.subject).toBe('Charged €59 instead of €49');
  });

  it('decodes base64 UTF-8 parts and B encoded words, emoji included', async () => {
    const parsed = await parseEmail(readFixture('base64-utf8.eml'));
    expect(parsed.text).toContain('Tracking says “delivered” 📦 but nothing is here.');
    expect(parsed.text).toContain('Get Outlook for Android');
    expect(parsed.html).toContain('Ångström');
    expect(parsed.from?.name).toBe('Zoë Ångström');
  });

  it('decodes UTF-8 quoted-printable and joins format=flowed lines', async () => {
    expect((await parseEmail(readFixture('gmail-reply-de.eml'))).text).toContain('Königstraße 12, 70173 Stuttgart.');
    expect((await parseEmail(readFixture('thunderbird-reply.eml'))).text).toContain('I also tried Chromium and it shows the same blank window after the first message.');
  });
});

describe('HTML', () => {
  it('keeps formatting and cid: images, and drops script, handlers, javascript: links, frames, forms and http images', async () => {
    const { html } = await parseEmail(readFixture('html-only.eml'));
    expect(html).toContain('<p>Hello,</p>');
    expect(html).toContain('<img alt="screenshot" src="cid:shot1@example.com" />');
    expect(html).toContain('<a href="https://status.example.com/incident/42" target="_blank" rel="noopener noreferrer nofollow">on the status page</a>');
    expect(html).toContain('<blockquote>Hello Alan,');
    for (const gone of ['<script', 'document.cookie', 'onload', 'onerror', 'onclick', 'javascript:', '<iframe', '<form', '<input', 'password', '<style', 'tracker.example.com', '<title', 'src="x"']) {
      expect(html).not.toContain(gone);
    }
  });

  it('renders an HTML-only mail as text: paragraphs and breaks kept, entities decoded, no tags, the quote as > lines', async () => {
    const { text } = await parseEmail(readFixture('html-only.eml'));
    expect(text).toBe(
      'Hello,\n\nI can\'t log in since yesterday — the page says "session expired" & sends me back.\n\nSteps:\n1. open the app\n2. click «Sign in»\n\nScreenshot:\n\nDetails are on the status page (https://status.example.com/incident/42), not here.\n\nOn Mon, 1 Dec 2026 at 10:00, Grace at Acme <support@example.test> wrote:\n\n> Hello Alan,\n>\n> Please try logging in again.\n>\n> Grace',
    );
  });

  it('is undefined without an HTML part; the text part is then the text', async () => {
    const parsed = await parseEmail(readFixture('windows-1252.eml'));
    expect(parsed.html).toBeUndefined();
    expect(parsed.text.startsWith('Hi,\n\nThe “Pro” plan')).toBe(true);
  });

  it('links an inline image to its attachment by the lower-cased Content-ID', async () => {
    const parsed = await parseEmail(readFixture('multipart-related-inline-image.eml'));
    const [image] = parsed.attachments;
    expect(image?.content.equals(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAGElEQVR4nGO4I6cBRwx35DT+gwE2DhwBAKD6GY2eFrd6AAAAAElFTkSuQmCC', 'base64'))).toBe(true);
    expect(parsed.html).toContain(`src="cid:${image?.contentId ?? ''}"`);
  });
});

describe('attachments', () => {
  it('keeps the PDF bytes as sent', async () => {
    const [pdf] = (await parseEmail(readFixture('with-attachment-pdf.eml'))).attachments;
    expect(pdf?.content.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    expect(pdf?.content.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
  });

  it('names unnamed parts by kind, takes the last segment of a path-like name, and marks referenced or inline images inline', async () => {
    const png = pngBytes().toString('base64');
    const raw = mail(
      `${PLAIN}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"`,
      `--b\nContent-Type: text/html; charset=utf-8\n\n<p>See <img src="cid:Shot-1@Example.com"></p>\n` +
        `--b\nContent-Type: image/png\nContent-ID: <Shot-1@Example.com>\nContent-Transfer-Encoding: base64\n\n${png}\n` +
        `--b\nContent-Type: image/png\nContent-Disposition: inline\nContent-Transfer-Encoding: base64\n\n${png}\n` +
        `--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment\nContent-Transfer-Encoding: base64\n\nAAEC\n` +
        `--b\nContent-Type: application/pdf\nContent-Disposition: inline; filename="../../etc/report.pdf"\nContent-Transfer-Encoding: base64\n\nJVBERg==\n--b--\n`,
    );
    const parsed = await parseEmail(raw);
    expect(parsed.attachments.map(({ filename, contentType, inline, contentId }) => ({ filename, contentType, inline, contentId }))).toEqual([
      { filename: 'image-1.png', contentType: 'image/png', inline: true, contentId: 'shot-1@example.com' },
      { filename: 'image-2.png', contentType: 'image/png', inline: true, contentId: undefined },
      { filename: 'attachment-1.bin', contentType: 'application/octet-stream', inline: false, contentId: undefined },
      { filename: 'report.pdf', contentType: 'application/pdf', inline: false, contentId: undefined },
    ]);
    expect(parsed.html).toBe('<p>See <img src="cid:shot-1@example.com" /></p>');
  });
});

describe('headers', () => {
  it('lists To, Cc, Delivered-To and X-Original-To in lower case, each once, group members included', async () => {
    const parsed = await parseEmail(
      mail(
        'From: "Lovelace, Ada" <Ada@Example.COM>\nTo: Support <Support@Example.test>, team: Bob <BOB@example.test>;\nCc: support@example.test, carol@example.test\nDelivered-To: support+t0k3n@example.test\nX-Original-To: SUPPORT+t0k3n@example.test\nX-Original-To: sales@example.test\nSubject: x\nMessage-ID: <a@b>',
        'hi\n',
      ),
    );
    expect(parsed.from).toEqual({ address: 'ada@example.com', name: 'Lovelace, Ada' });
    expect(parsed.recipients).toEqual(['support@example.test', 'bob@example.test', 'carol@example.test', 'support+t0k3n@example.test', 'sales@example.test']);
  });

  it('gives a mail without a Message-ID a digest of its bytes, the same on every delivery', async () => {
    const raw = mail('From: ada@example.com\nTo: support@example.test\nSubject: no id', 'hello\n');
    const parsed = await parseEmail(raw);
    expect(parsed.messageId).toBe(`${createHash('sha256').update(raw).digest('hex').slice(0, 32)}@missing-message-id`);
    expect((await parseEmail(raw)).messageId).toBe(parsed.messageId);
    expect(parsed.from).toEqual({ address: 'ada@example.com' });
  });

  it('reads bracketed id lists however they are spaced, and bare ids', async () => {
    const parsed = await parseEmail(mail(`${PLAIN}\nIn-Reply-To: Hub-1@Mail.Example.test\nReferences: <A@x.example.com>\n <hub-1@mail.example.test><B@y.example.com>\n\t<a@x.example.com>`, 'hi\n'));
    expect(parsed.inReplyTo).toEqual(['hub-1@mail.example.test']);
    expect(parsed.references).toEqual(['a@x.example.com', 'hub-1@mail.example.test', 'b@y.example.com']);
  });

  it('has an empty subject, no date and no sender when the mail says none (not the time it was parsed)', async () => {
    const parsed = await parseEmail(mail('To: support@example.test\nMessage-ID: <x@y>\nDate: sometime last week', 'hi\n'));
    expect(parsed).toMatchObject({ subject: '', date: undefined, from: undefined, inReplyTo: [], references: [], html: undefined, body: 'hi' });
  });

  it('reads X-Switchboard-Hub, by which the hub knows its own mail', async () => {
    expect((await parseEmail(mail(`${PLAIN}\nX-Switchboard-Hub: hub-7f3a`, 'hi\n'))).sentByHub).toBe('hub-7f3a');
  });
});

describe('mail that is hardly mail', () => {
  it('reads a mail with an empty header block as a text with a digest id', async () => {
    const parsed = await parseEmail(Buffer.from('\r\njust some words\r\n'));
    expect(parsed).toMatchObject({ text: 'just some words\n', body: 'just some words', from: undefined, recipients: [], kind: { kind: 'message' } });
    expect(parsed.messageId).toMatch(/^[0-9a-f]{32}@missing-message-id$/);
  });

  it('refuses mail past mailparser\'s limits with a ValidationError', async () => {
    const huge = mail(`${PLAIN}\nX-Padding: ${'a'.repeat(1_100_000)}`, 'hi\n');
    const error: unknown = await parseEmail(huge).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    const [issue] = (error as ValidationError).details ?? [];
    expect(issue).toMatchObject({ path: 'message', code: 'unparseable_mail' });
    expect(issue?.message).toContain('header size');
  });
});
