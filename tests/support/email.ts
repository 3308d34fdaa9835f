import { randomBytes } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';

/** What a customer's mail client sends, kept small: enough headers to thread like a real one. */
export interface CustomerMail {
  from: string;
  fromName?: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  attachments?: { filename: string; content: Buffer; contentType: string; cid?: string }[];
}

/** A Message-ID as a customer's provider makes them, without brackets. */
export function customerMessageId(): string {
  return `${randomBytes(10).toString('hex')}@mail.customer.example`;
}

/** Sends mail over real SMTP (no TLS unless the server offers it and `tls` says so) and resolves with the server's answer. */
export class SmtpClient {
  private readonly transport: Transporter<SMTPPool.SentMessageInfo>;

  constructor(port: number, options: { auth?: { user: string; pass: string }; requireTLS?: boolean } = {}) {
    // One connection kept open: a new one costs a tenth of a second (the greeting and EHLO round trips).
    const settings: SMTPPool.Options = {
      pool: true,
      maxConnections: 1,
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: !options.requireTLS,
      requireTLS: options.requireTLS ?? false,
      tls: { rejectUnauthorized: false },
      ...(options.auth ? { auth: options.auth } : {}),
      connectionTimeout: 5000,
      socketTimeout: 15_000,
    };
    this.transport = nodemailer.createTransport(settings);
  }

  /** Resolves with the server's last answer (`250 ...`); rejects with nodemailer's error (responseCode set). */
  async send(mail: CustomerMail): Promise<{ messageId: string; response: string }> {
    const messageId = mail.messageId ?? customerMessageId();
    const info = (await this.transport.sendMail({
      from: mail.fromName ? { name: mail.fromName, address: mail.from } : mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      ...(mail.html ? { html: mail.html } : {}),
      messageId: `<${messageId}>`,
      ...(mail.inReplyTo ? { inReplyTo: `<${mail.inReplyTo}>` } : {}),
      ...(mail.references ? { references: mail.references.map((id) => `<${id}>`) } : {}),
      headers: mail.headers ?? {},
      attachments: (mail.attachments ?? []).map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType, ...(a.cid ? { cid: a.cid } : {}) })),
    })) as { response: string };
    return { messageId, response: info.response };
  }

  /** Sends bytes as they are (a fixture), with an envelope of its own. */
  async sendRaw(raw: Buffer, envelope: { from: string; to: string[] }): Promise<string> {
    const info = (await this.transport.sendMail({ raw, envelope })) as { response: string };
    return info.response;
  }

  close(): void {
    this.transport.close();
  }
}

/** A delivery status notification (RFC 3464) about one mail, as a receiving server sends it back. */
export function deliveryReport(report: { to: string; messageId: string; recipient: string; action: 'failed' | 'delivered'; status: string; diagnostic?: string }): Buffer {
  const failed = report.action === 'failed';
  return Buffer.from(
    [
      'From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>',
      `To: ${report.to}`,
      `Subject: ${failed ? 'Undelivered Mail Returned to Sender' : 'Successful Mail Delivery Report'}`,
      `Message-ID: <${randomBytes(8).toString('hex')}@mx.customer.example>`,
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="report"',
      '',
      '--report',
      'Content-Type: text/plain',
      '',
      failed ? 'Your message could not be delivered.' : 'Your message was delivered.',
      '--report',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.customer.example',
      '',
      `Final-Recipient: rfc822; ${report.recipient}`,
      `Action: ${report.action}`,
      `Status: ${report.status}`,
      ...(report.diagnostic ? [`Diagnostic-Code: smtp; ${report.diagnostic}`] : []),
      '',
      '--report',
      'Content-Type: text/rfc822-headers',
      '',
      `Message-ID: <${report.messageId}>`,
      '',
      '--report--',
      '',
    ].join('\r\n'),
  );
}
