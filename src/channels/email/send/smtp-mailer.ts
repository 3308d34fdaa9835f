import nodemailer from 'nodemailer';
import type { SMTPPoolSentMessageInfo, Transporter } from 'nodemailer';
import { normalizeMessageId } from '../mail';
import type { Mailer, OutgoingMail, SentMail } from '../mail';
import { composeMail } from './compose';
import { deliveryErrorOf } from './errors';

export interface DkimSettings {
  domainName: string;
  keySelector: string;
  /** PEM. */
  privateKey: string;
}

export interface SmtpMailerOptions {
  /** smtp://user:pass@host:587 or smtps://...; nodemailer reads TLS and credentials from it. */
  smtpUrl: string;
  /** How long connecting, the greeting and every wait for the server may take. */
  timeoutMs: number;
  /** Written into every mail's X-Switchboard-Hub header. */
  hubId: string;
  dkim?: DkimSettings;
}

/** Sends over SMTP through a pool of kept-open connections; every failure leaves as a delivery error. */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter<SMTPPoolSentMessageInfo>;
  private readonly hubId: string;

  constructor(options: SmtpMailerOptions) {
    this.hubId = options.hubId;
    this.transport = nodemailer.createTransport({
      url: options.smtpUrl,
      pool: true,
      // BullMQ owns retries, with backoff that survives a restart: the pool must not resend a mail
      // whose connection dropped, or one delivery attempt could become several mails.
      maxRequeues: 0,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      // Every part of a mail arrives as bytes; nothing may make the hub read a file or fetch a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
      ...(options.dkim ? { dkim: { ...options.dkim } } : {}),
    });
  }

  async send(mail: OutgoingMail, signal?: AbortSignal): Promise<SentMail> {
    let info: SMTPPoolSentMessageInfo;
    try {
      info = await this.transport.sendMail({ ...composeMail(mail, { hubId: this.hubId }), ...(signal ? { signal } : {}) });
    } catch (error) {
      throw deliveryErrorOf(error);
    }
    return { messageId: normalizeMessageId(info.messageId), response: info.response };
  }

  close(): void {
    this.transport.close();
  }
}
