import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MailKind } from '../../src/channels/email/mail';

/**
 * The corpus in tests/fixtures/email/: mail shaped as real clients send it, each with what the hub
 * must read from it. Unit tests parse it; integration tests send it to a hub and expect the same.
 * tests/fixtures/email/README.md describes each file.
 */

const DIRECTORY = join(__dirname, '..', 'fixtures', 'email');

/** The raw bytes of a fixture, CRLF line ends and 8-bit bytes as they are on the wire. */
export function readFixture(name: string): Buffer {
  return readFileSync(join(DIRECTORY, name));
}

export interface FixtureAttachment {
  filename: string;
  contentType: string;
  bytes: number;
  inline: boolean;
  contentId?: string;
}

export interface EmailFixture {
  file: string;
  /** What the mail shows, in a few words. */
  shows: string;
  from: { address: string; name: string };
  subject: string;
  /** The Message-ID of the hub's mail this one answers (normalized), for replies. */
  inReplyTo?: string;
  /** The stored message body: only the new text. */
  expectedBody: string;
  kind: MailKind;
  attachments: FixtureAttachment[];
}

const ADA = { address: 'ada@example.com', name: 'Ada Lovelace' };

export const EMAIL_FIXTURES: readonly EmailFixture[] = [
  {
    file: 'gmail-reply.eml',
    shows: 'Gmail web reply, English; attribution wrapped over two lines in the text part',
    from: ADA,
    subject: 'Re: Invoice for order 1042',
    inReplyTo: 'hub-gmail-en@mail.example.test',
    expectedBody: 'Hi Grace,\n\nThanks, the new invoice works. Could you also send me the receipt for\nNovember?\n\nAda',
    kind: { kind: 'message' },
    attachments: [],
  },
  {
    file: 'gmail-reply-de.eml',
    shows: 'Gmail web reply, German; "Am ... schrieb ...:" with the address wrapped; UTF-8 quoted-printable',
    from: ADA,
    subject: 'Re: Rechnung für Bestellung 1042',
    inReplyTo: 'hub-gmail-de@mail.example.test',
    expectedBody: 'Hallo Grace,\n\nvielen Dank für die schnelle Antwort. Die Rechnung ist jetzt korrekt, nur\ndie Lieferadresse fehlt noch: Königstraße 12, 70173 Stuttgart.',
    kind: { kind: 'message' },
    attachments: [],
  },
  {
    file: 'outlook-desktop-reply.eml',
    shows: 'Outlook 16 desktop reply: -----Original Message----- and the From/Sent/To/Subject block, MsoNormal HTML',
    from: { address: 'bob@example.com', name: 'Bob Babbage' },
    subject: 'RE: Invoice address',
    inReplyTo: 'hub-outlook-desktop@mail.example.test',
    expectedBody: 'Hello Grace,\n\nThe invoice still shows our old address. Please change it to:\n12 Analytical Row, London EC1A 1AA\n\nThanks,\nBob',
    kind: { kind: 'message' },
    attachments: [],
  },
  {
    file: 'outlook-web-reply.eml',
    shows: 'Outlook on the web reply: the underscore rule, divRplyFwdMsg; ISO-8859-1 quoted-printable and encoded-word name',
    from: { address: 'charlotte@example.com', name: 'Charlotte Brontë' },
    subject: 'Re: Callback about my subscription',
    inReplyTo: 'hub-outlook-web@mail.example.test',
    expectedBody: 'Hi Grace,\n\nYes, Tuesday at 3 pm works for me. Please call me on the number in my profile.\n\nCharlotte',
    kind: { kind: 'message' },
    attachments: [],
  },
  {
    file: 'apple-mail-reply-fr.eml',
    shows: 'Apple Mail on iPhone, French: "Le ... a écrit :" quoted, blockquote type="cite", "Envoyé de mon iPhone"',
    from: { address: 'emilie@example.com', name: 'Émilie Châtelet' },
    subject: 'Re: Votre colis est en route',
    inReplyTo: 'hub-apple-fr@mail.example.test',
    expectedBody: 'Bonjour Grace,\n\nMerci beaucoup, c’est réglé de mon côté. Le colis est bien arrivé ce matin.',
    kind: { kind: 'message' },
    attachments: [],
  },
  {
    file: 'thunderbird-reply.eml',
    shows: 'Thunderbird reply written below the quote; format=flowed; moz-cite-prefix; "-- " signature',
    from: { address: 'mary@example.com', name: 'Mary Shelley' },
    subject: 'Re: Chat window stays blank',
    inReplyTo: 'hub-thunderbird@mail.example.test',
    expectedBody: 'Firefox 133 on Debian. The chat window opens but stays blank. I also tried Chromium and it shows the same blank window after the first message.',
    kind: { kind: 'message' },
    attachments: [],
  },
  {
    file: 'iso-8859-1-quoted-printable.eml',
    shows: 'KMail reply, German, one text/plain part in ISO-8859-1 quoted-printable; sign-off removed',
    from: { address: 'juergen@example.com', name: 'Jürgen Müller' },
    subject: 'Re: Änderung meiner Bestellung',
    inReplyTo: 'hub-iso-qp@mail.example.test',
    expectedBody: 'Sehr geehrte Damen und Herren,\n\nich möchte meine Bestellung ändern: statt 3 Stück bitte 5 Stück der Größe XL, Farbe Blau. Die Lieferung bitte an die Adresse in Düsseldorf.',
    kind: { kind: 'message' },
    attachments: [],
  },
  {
    file: 'windows-1252.eml',
    shows: 'Outlook 2010, a new mail in windows-1252 sent 8bit: curly quotes, en dash, euro sign',
    from: { address: 'george@example.com', name: 'George Boole' },
    subject: 'Charged €59 instead of €49',
    expectedBody: 'Hi,\n\nThe “Pro” plan costs €49 a month – that’s what your website says – but I was charged €59 on 1 December.\n\nCould you refund the difference?',
    kind: { kind: 'message' },
    attachments: [],
  },
  {
    file: 'base64-utf8.eml',
    shows: 'Outlook for Android, a new mail in base64 UTF-8 with an emoji; "Get Outlook for Android" removed',
    from: { address: 'zoe@example.com', name: 'Zoë Ångström' },
    subject: 'Where is my order #1043? 📦',
    expectedBody: 'Hello,\n\nMy order #1043 hasn’t arrived. Tracking says “delivered” 📦 but nothing is here. Could the driver have left it with a neighbour? My name on the bell is Ångström.\n\nZoë',
    kind: { kind: 'message' },
    attachments: [],
  },
  {
    file: 'html-only.eml',
    shows: 'A reply with only an HTML part, carrying script, event handlers, javascript: links, a form and a tracking pixel',
    from: { address: 'alan@example.com', name: 'Alan Turing' },
    subject: 'Re: Cannot log in',
    inReplyTo: 'hub-html-only@mail.example.test',
    expectedBody:
      'Hello,\n\nI can\'t log in since yesterday — the page says "session expired" & sends me back.\n\nSteps:\n1. open the app\n2. click «Sign in»\n\nScreenshot:\n\nDetails are on the status page (https://status.example.com/incident/42), not here.',
    kind: { kind: 'message' },
    attachments: [],
  },
  {
    file: 'multipart-related-inline-image.eml',
    shows: 'Gmail, a new mail with a pasted screenshot: multipart/related, inline PNG with a Content-ID',
    from: ADA,
    subject: 'Chat widget shows an error',
    expectedBody: 'Hello,\n\nThe chat widget shows this error when I open it on our shop:\n\n[image: widget-error.png]\n\nIt started this morning. Any idea?\n\nAda',
    kind: { kind: 'message' },
    attachments: [{ filename: 'widget-error.png', contentType: 'image/png', bytes: 81, inline: true, contentId: 'ii_m4a7x2k10' }],
  },
  {
    file: 'with-attachment-pdf.eml',
    shows: 'Gmail, a new mail with a PDF attached (its Content-ID unused by the HTML, so not inline)',
    from: ADA,
    subject: 'Wrong VAT number on invoice 1042',
    expectedBody: 'Hi,\n\nAttached is the invoice you sent me. The VAT number on it is wrong, ours\nis GB123456789.\n\nThanks,\nAda',
    kind: { kind: 'message' },
    attachments: [{ filename: 'invoice-1042.pdf', contentType: 'application/pdf', bytes: 586, inline: false, contentId: 'f_m4a8b3c40' }],
  },
  {
    file: 'forwarded.eml',
    shows: 'Gmail forward: the forwarded mail is the new content and is kept',
    from: ADA,
    subject: 'Fwd: Order 1042 not delivered',
    expectedBody:
      "Hi support,\n\nForwarding the carrier's answer below; can you help?\n\nAda\n\n---------- Forwarded message ---------\nFrom: Parcel Service <noreply@carrier.example.com>\nDate: Sun, 30 Nov 2026 at 18:12\nSubject: Order 1042 not delivered\nTo: <ada@example.com>\n\nDear customer,\n\nYour parcel for order 1042 could not be delivered because the address was\nincomplete. It will be returned to the sender.\n\nParcel Service",
    kind: { kind: 'message' },
    attachments: [],
  },
  {
    file: 'auto-reply.eml',
    shows: "Exchange out-of-office answer to the hub's mail (Auto-Submitted: auto-generated)",
    from: { address: 'bob@example.com', name: 'Bob Babbage' },
    subject: 'Automatic reply: Invoice address',
    inReplyTo: 'hub-auto-reply@mail.example.test',
    expectedBody: 'I am out of the office until Monday 8 December 2026 with limited access to email. For urgent matters please contact office@example.com.\n\nBob',
    kind: { kind: 'automatic', reason: 'Auto-Submitted: auto-generated' },
    attachments: [],
  },
  {
    file: 'mailing-list.eml',
    shows: 'Mailman 3 list traffic delivered to the support address (List-Id, Precedence: list)',
    from: { address: 'charles@example.com', name: 'Charles Darwin' },
    subject: '[acme-users] Widget not loading on Safari',
    expectedBody:
      'Has anyone seen the chat widget fail to load on Safari 18? The bubble\nnever appears.\n\nCharles\n_______________________________________________\nusers mailing list -- users@lists.example.com\nTo unsubscribe send an email to users-leave@lists.example.com',
    kind: { kind: 'list', listId: 'users.lists.example.com' },
    attachments: [],
  },
  {
    file: 'dsn-bounce.eml',
    shows: "Postfix DSN (multipart/report) for the hub's mail <0a1b2c3d4e5f60718293a4b5c6d7e8f9@mail.example.test>",
    from: { address: 'mailer-daemon@mx.example.com', name: 'Mail Delivery System' },
    subject: 'Undelivered Mail Returned to Sender',
    expectedBody:
      "This is the mail system at host mx.example.com.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\nFor further assistance, please send mail to postmaster.\n\nIf you do so, please include this problem report. You can\ndelete your own text from the attached returned message.\n\n                   The mail system\n\n<nobody@example.com>: host mx2.example.com[192.0.2.25] said: 550 5.1.1\n    <nobody@example.com>: Recipient address rejected: User unknown in virtual\n    mailbox table (in reply to RCPT TO command)",
    kind: {
      kind: 'bounce',
      bounce: {
        messageIds: ['0a1b2c3d4e5f60718293a4b5c6d7e8f9@mail.example.test'],
        reason: '550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table',
        action: 'failed',
      },
    },
    attachments: [
      { filename: 'attachment-1.txt', contentType: 'message/delivery-status', bytes: 455, inline: false },
      { filename: 'attachment-2.eml', contentType: 'message/rfc822', bytes: 813, inline: false },
    ],
  },
];
