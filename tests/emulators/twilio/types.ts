/** What the emulator got when it downloaded one MediaUrl; `status` 0 means the download itself failed. */
export interface FetchedMedia {
  url: string;
  status: number;
  contentType: string | null;
  bytes: Buffer;
}

/** One message the hub created through the REST API, kept so tests can assert on what reached "Twilio". */
export interface EmulatedMessage {
  /** 'SM' + 32 lowercase hex, like Twilio's. */
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  body: string;
  /** The MediaUrl form fields, in the order the hub sent them. */
  mediaUrls: string[];
  statusCallback?: string;
  /** Computed the way carriers split the body (see segments.ts), so the hub can be checked against it. */
  numSegments: number;
  /** 'queued' on create; `sendStatus` moves it on, so a later fetch sees what the callback announced. */
  status: string;
  /** Set by `sendStatus` with an `errorCode`, reported as `error_code` by fetches afterwards. */
  errorCode: number | null;
  createdAt: Date;
  /** Twilio downloads media while accepting the message; this is what that download saw. */
  fetchedMedia: FetchedMedia[];
}

/**
 * What the next Messages create requests answer instead of creating anything: throttling/outages
 * (which the hub should retry) or permanent refusals (which it should not).
 */
export type Failure = { status: 429 | 500 | 503; retryAfterSeconds?: number } | { status: 400 | 404; code: number; message: string };

/** The hub's answer to a webhook the emulator posted. */
export interface WebhookResponse {
  status: number;
  contentType: string | null;
  body: string;
}

/** The answer to `sendInbound`, with the sid and form so tests can find the message the hub stored. */
export interface InboundResult extends WebhookResponse {
  messageSid: string;
  form: Record<string, string>;
}

/** Where webhooks go: `url` is where the hub listens, `publicUrl` is its PUBLIC_URL (what Twilio signs). */
export interface WebhookTarget {
  url: string;
  publicUrl: string;
}

export interface InboundMedia {
  url: string;
  contentType: string;
}

export interface InboundParams {
  From: string;
  To: string;
  Body: string;
  MessageSid?: string;
  media?: InboundMedia[];
  /** Added last, so they may also override any generated field (e.g. FromCity, MessagingServiceSid). */
  extra?: Record<string, string>;
}

export type MessageStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'read';

/** One REST request the emulator answered; `path` is the URL path without the query string. */
export interface EmulatedRequest {
  method: string;
  path: string;
  status: number;
}
