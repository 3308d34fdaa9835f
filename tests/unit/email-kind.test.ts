import { parseEmail } from '../../src/channels/email/parse';
import type { MailKind } from '../../src/channels/email/mail';

function mail(headers: string, body: string): Buffer {
  return Buffer.from(`${headers.trim()}\n\n${body}`.replace(/\r?\n/g, '\r\n'), 'utf8');
}

async function kindOf(headers: string, body = 'Hello\n'): Promise<MailKind> {
  return (await parseEmail(mail(`From: Ada <ada@example.com>\nTo: support@example.test\nSubject: x\nMessage-ID: <k@example.com>\n${headers}`, body))).kind;
}

const REPORT = 'From: MAILER-DAEMON@mx.example.com\nTo: support@example.test\nSubject: Delivery Status Notification\nMessage-ID: <dsn@mx.example.com>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="r"';

/** A DSN with the given notice, recipient fields and returned part. */
function report(notice: string, recipient: string, returned: string): Buffer {
  return mail(REPORT, `--r\nContent-Type: text/plain\n\n${notice}\n--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n${recipient}\n--r\n${returned}\n--r--\n`);
}

const RETURNED = 'Content-Type: message/rfc822\n\nFrom: support@example.test\nMessage-ID: <Hub-42@Mail.Example.test>\nSubject: Re: x\n\nHello';

describe('delivery status notifications', () => {
  it('reads a delayed delivery as delayed, with the diagnostic without its type', async () => {
    const raw = report('Delivery is delayed.', 'Final-Recipient: rfc822; ada@example.com\nAction: delayed\nStatus: 4.4.7\nDiagnostic-Code: X-Postfix; connect to mx.example.com: Connection timed out', RETURNED);
    expect((await parseEmail(raw)).kind).toEqual({ kind: 'bounce', bounce: { messageIds: ['hub-42@mail.example.test'], reason: 'connect to mx.example.com: Connection timed out', action: 'delayed' } });
  });

  it('takes the Status when there is no Diagnostic-Code, and the original from text/rfc822-headers', async () => {
    const raw = report('Undeliverable.', 'Final-Recipient: rfc822; ada@example.com\nAction: failed\nStatus: 5.2.2', 'Content-Type: text/rfc822-headers\n\nFrom: support@example.test\nMessage-ID: <hub-43@mail.example.test>\nSubject: Re: x\n');
    expect((await parseEmail(raw)).kind).toEqual({ kind: 'bounce', bounce: { messageIds: ['hub-43@mail.example.test'], reason: '5.2.2', action: 'failed' } });
  });

  it("takes the notice's first line when the report gives no code, and a 5.x.x status as failed whatever the action says", async () => {
    const noCode = report('\n  Your message could not be delivered.\nMore words.', 'Final-Recipient: rfc822; ada@example.com\nAction: failed', RETURNED);
    expect((await parseEmail(noCode)).kind).toMatchObject({ kind: 'bounce', bounce: { reason: 'Your message could not be delivered.', action: 'failed' } });
    const status = report('x', 'Final-Recipient: rfc822; ada@example.com\nAction: relayed\nStatus: 5.0.0', RETURNED);
    expect((await parseEmail(status)).kind).toMatchObject({ kind: 'bounce', bounce: { action: 'failed' } });
  });

  it("names the original's References when the returned headers have no Message-ID", async () => {
    const raw = report('x', 'Final-Recipient: rfc822; ada@example.com\nAction: failed\nStatus: 5.1.1', 'Content-Type: text/rfc822-headers\n\nFrom: support@example.test\nReferences: <c1@example.com>\n <hub-44@mail.example.test>\n');
    expect((await parseEmail(raw)).kind).toMatchObject({ kind: 'bounce', bounce: { messageIds: ['c1@example.com', 'hub-44@mail.example.test'] } });
  });

  it('reads a report that says the mail was delivered as a success, which marks the mail delivered', async () => {
    const raw = report('Delivered.', 'Final-Recipient: rfc822; ada@example.com\nAction: delivered\nStatus: 2.0.0', RETURNED);
    expect((await parseEmail(raw)).kind).toEqual({ kind: 'bounce', bounce: { messageIds: ['hub-42@mail.example.test'], reason: '2.0.0', action: 'delivered' } });
  });

  it('reads a report with one failed and one delivered recipient as a failure', async () => {
    const raw = report('Partly.', 'Final-Recipient: rfc822; ada@example.com\nAction: delivered\nStatus: 2.0.0\n\nFinal-Recipient: rfc822; bob@example.com\nAction: failed\nStatus: 5.1.1', RETURNED);
    expect((await parseEmail(raw)).kind).toMatchObject({ kind: 'bounce', bounce: { action: 'failed', reason: '5.1.1' } });
  });

  it("reads a daemon's plain-text bounce by the headers it quotes", async () => {
    const body = 'This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  ada@example.com\n    host mx.example.com [192.0.2.1]\n    SMTP error from remote mail server after RCPT TO:<ada@example.com>:\n    550 5.1.1 User unknown\n\n------ This is a copy of the message, including all the headers. ------\n\nFrom: support@example.test\nMessage-ID: <hub-45@mail.example.test>\nSubject: Re: x\n\nHello\n';
    const raw = mail('From: Mail Delivery System <Mailer-Daemon@mx.example.com>\nTo: support@example.test\nSubject: Mail delivery failed: returning message to sender\nMessage-ID: <exim@mx.example.com>\nAuto-Submitted: auto-replied', body);
    expect((await parseEmail(raw)).kind).toEqual({ kind: 'bounce', bounce: { messageIds: ['hub-45@mail.example.test'], reason: '550 5.1.1 User unknown', action: 'failed' } });
  });

  it('reads an empty Return-Path notice with a 4.x.x status as delayed', async () => {
    const raw = mail('Return-Path: <>\nFrom: postmaster@mx.example.com\nTo: support@example.test\nSubject: Delayed Mail (still being retried)\nMessage-ID: <d@mx.example.com>', 'Status: 4.4.1 (no answer from host)\nWill retry for 4 more days.\n\n> Message-ID: <hub-46@mail.example.test>\n');
    expect((await parseEmail(raw)).kind).toEqual({ kind: 'bounce', bounce: { messageIds: ['hub-46@mail.example.test'], reason: 'Status: 4.4.1 (no answer from host)', action: 'delayed' } });
  });

  it("takes a daemon's mail that names no message for a notice", async () => {
    const raw = mail('From: MAILER-DAEMON@mx.example.com\nTo: support@example.test\nSubject: Warning\nMessage-ID: <w@mx.example.com>', 'Your mailbox is almost full.\n');
    expect((await parseEmail(raw)).kind).toEqual({ kind: 'automatic', reason: 'delivery status notification' });
  });
});

describe('automatic and list mail', () => {
  it.each([
    ['Auto-Submitted: auto-replied', { kind: 'automatic', reason: 'Auto-Submitted: auto-replied' }],
    ['Auto-Submitted: auto-generated; owner-email="ada@example.com"', { kind: 'automatic', reason: 'Auto-Submitted: auto-generated; owner-email="ada@example.com"' }],
    ['X-Autoreply: yes', { kind: 'automatic', reason: 'X-Autoreply: yes' }],
    ['X-Autorespond: Out of office', { kind: 'automatic', reason: 'X-Autorespond: Out of office' }],
    ['Precedence: bulk', { kind: 'automatic', reason: 'Precedence: bulk' }],
    ['Precedence: junk', { kind: 'automatic', reason: 'Precedence: junk' }],
    ['Precedence: auto_reply', { kind: 'automatic', reason: 'Precedence: auto_reply' }],
    ['Precedence: list', { kind: 'list', listId: '' }],
    ['List-Id: <announce.lists.example.com>', { kind: 'list', listId: 'announce.lists.example.com' }],
    ['List-Id: "Announce" <Announce.Lists.Example.com>\nPrecedence: bulk', { kind: 'list', listId: 'announce.lists.example.com' }],
    ['List-Id: <l.example.com>\nAuto-Submitted: auto-generated', { kind: 'automatic', reason: 'Auto-Submitted: auto-generated' }],
    ['Auto-Submitted: no', { kind: 'message' }],
    ['Auto-Submitted: No', { kind: 'message' }],
    ['Precedence: first-class', { kind: 'message' }],
    ['List-Unsubscribe: <https://example.com/u>', { kind: 'message' }],
  ])('%s', async (headers, expected) => {
    expect(await kindOf(headers)).toEqual(expected);
  });
});
