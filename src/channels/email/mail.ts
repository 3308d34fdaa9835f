/**
 * The email channel's two halves meet here: what a received mail says once parsed (`ParsedEmail`), and
 * what the hub hands its mailer to send (`OutgoingMail`). Message-IDs are kept without angle brackets,
 * in lower case, so that one mail's id compares equal however a client quoted it.
 */

export interface MailAddress {
  address: string;
  name?: string;
}

export interface ParsedAttachment {
  filename: string;
  /** As the mail declared it; the upload policy reads the real type from the bytes. */
  contentType: string;
  content: Buffer;
  /** An inline image's Content-ID (without brackets), referenced from the HTML as cid:... */
  contentId?: string;
  inline: boolean;
}

/** What the hub does with a received mail besides reading it as a customer's message. */
export type MailKind =
  | { kind: 'message' }
  /** Out-of-office and other automatic answers: never open or reopen a conversation. */
  | { kind: 'automatic'; reason: string }
  /** Mailing-list traffic: never opens or reopens a conversation. */
  | { kind: 'list'; listId: string }
  /** A delivery status notification about mail the hub may have sent. */
  | { kind: 'bounce'; bounce: Bounce };

export interface Bounce {
  /** The Message-IDs the report names (the original's own id, and its References when that is all there is). */
  messageIds: string[];
  /** The report's words: the Diagnostic-Code, else its Status, else the human-readable part's first line. */
  reason: string;
  /**
   * `failed` for a permanent failure (5.x.x), `delayed` for a transient one (4.x.x) which moves nothing,
   * `delivered` for a success notification (sent when delivery receipts were asked for).
   */
  action: 'failed' | 'delayed' | 'delivered';
}

export interface ParsedEmail {
  /** The mail's Message-ID, normalized; a stable digest of the raw bytes when it has none. */
  messageId: string;
  inReplyTo: string[];
  references: string[];
  from: MailAddress | undefined;
  /** To, Cc, Delivered-To and X-Original-To addresses, lower case, in that order, without repeats. */
  recipients: string[];
  subject: string;
  date: Date | undefined;
  /** The whole text: the text part, else a text rendering of the HTML part. */
  text: string;
  /** The HTML part sanitized with sanitize-html, safe to show to agents; undefined without an HTML part. */
  html: string | undefined;
  /** Only what the sender wrote this time: quoted history and signature removed. */
  body: string;
  attachments: ParsedAttachment[];
  kind: MailKind;
  /** The `X-Switchboard-Hub` header: set on every mail a hub sends, so its own mail coming back is recognized. */
  sentByHub: string | undefined;
}

export interface OutgoingAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface OutgoingMail {
  from: MailAddress;
  to: MailAddress;
  replyTo?: MailAddress;
  /** Without angle brackets: `<messageId>` is the mail's Message-ID. */
  messageId: string;
  inReplyTo?: string;
  /** Oldest first, without angle brackets. */
  references?: readonly string[];
  subject: string;
  text: string;
  /** The HTML alternative; when absent it is built from `text`, escaped, with line breaks kept. */
  html?: string;
  attachments?: readonly OutgoingAttachment[];
  /**
   * Set on mail the hub sends by itself (transcripts, follow-ups, automatic answers): it carries
   * `Auto-Submitted: auto-replied`, `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
   */
  automatic?: { unsubscribeUrl: string };
}

export interface SentMail {
  /** The Message-ID the mail went out with, normalized. */
  messageId: string;
  /** The SMTP server's answer to the end of DATA (`250 2.0.0 Ok: queued as ...`). */
  response: string;
}

/**
 * Sends mail. `send` throws core's RetryableDeliveryError for what may pass later (a 4xx answer,
 * connection refused or reset, a timeout) and PermanentDeliveryError with the server's reply text for
 * a 5xx answer.
 */
export interface Mailer {
  send(mail: OutgoingMail, signal?: AbortSignal): Promise<SentMail>;
  close(): void;
}

/** `<Foo@Example.COM>` → `foo@example.com`. */
export function normalizeMessageId(value: string): string {
  return value.trim().replace(/^<+|>+$/g, '').trim().toLowerCase();
}
