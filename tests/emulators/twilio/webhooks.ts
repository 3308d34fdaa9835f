import { randomUUID } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { countSegments } from './segments';
import { newSid } from './sids';
import type { EmulatedMessage, InboundParams, InboundResult, MessageStatus, WebhookResponse, WebhookTarget } from './types';

/** Twilio gives up on a webhook after 15 s; so does the emulator, so a hanging hub fails the test. */
const WEBHOOK_TIMEOUT_MS = 15_000;
const API_VERSION = '2010-04-01';
export const INBOUND_PATH = '/webhooks/twilio/sms';

export interface Credentials {
  accountSid: string;
  authToken: string;
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * Maps the public URL Twilio would call onto the hub's reachable address. PUBLIC_URL may be a proxy
 * (with a path prefix the proxy strips), so the part after PUBLIC_URL is kept; a URL that does not
 * start with PUBLIC_URL keeps its path and query.
 */
export function reachableUrl(target: WebhookTarget, publicUrl: string): string {
  const signed = publicUrl.replace(/#.*$/, '');
  const base = withoutTrailingSlash(target.url);
  const publicBase = withoutTrailingSlash(target.publicUrl);
  const afterBase = signed.slice(publicBase.length);
  if (signed.startsWith(publicBase) && /^(?:[/?]|$)/.test(afterBase)) return base + afterBase;
  return base + signed.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i, '');
}

/** Rough FromCountry/ToCountry, enough for hubs that read the field; unknown prefixes give ''. */
function country(number: string): string {
  const prefixes: [string, string][] = [['+1', 'US'], ['+44', 'GB'], ['+33', 'FR'], ['+49', 'DE'], ['+34', 'ES'], ['+61', 'AU']];
  return prefixes.find(([prefix]) => number.startsWith(prefix))?.[1] ?? '';
}

function place(prefix: 'From' | 'To', number: string): Record<string, string> {
  return { [`${prefix}Country`]: country(number), [`${prefix}City`]: '', [`${prefix}State`]: '', [`${prefix}Zip`]: '' };
}

/**
 * The form Twilio posts for an incoming SMS/MMS. Twilio gives MMS an 'MM' sid and SMS an 'SM' sid;
 * MessagingServiceSid is only present for numbers in a Messaging Service, so it is left out.
 */
export function inboundForm(accountSid: string, params: InboundParams): Record<string, string> {
  const media = params.media ?? [];
  const messageSid = params.MessageSid ?? newSid(media.length > 0 ? 'MM' : 'SM');
  const form: Record<string, string> = {
    ...place('To', params.To),
    SmsMessageSid: messageSid,
    NumMedia: String(media.length),
    SmsSid: messageSid,
    SmsStatus: 'received',
    Body: params.Body,
    ...place('From', params.From),
    To: params.To,
    NumSegments: String(countSegments(params.Body)),
    MessageSid: messageSid,
    AccountSid: accountSid,
    From: params.From,
    ApiVersion: API_VERSION,
  };
  media.forEach((item, index) => {
    form[`MediaContentType${index}`] = item.contentType;
    form[`MediaUrl${index}`] = item.url;
  });
  return { ...form, ...params.extra };
}

/** The form of a message status callback; ErrorCode only when the delivery failed with one. */
export function statusForm(message: EmulatedMessage, status: MessageStatus, errorCode?: number): Record<string, string> {
  return {
    SmsSid: message.sid,
    SmsStatus: status,
    MessageStatus: status,
    To: message.to,
    MessageSid: message.sid,
    AccountSid: message.accountSid,
    From: message.from,
    ApiVersion: API_VERSION,
    ...(errorCode === undefined ? {} : { ErrorCode: String(errorCode) }),
  };
}

/**
 * POSTs a form the way Twilio does. `signature` undefined signs over `signUrl` with the auth token;
 * null omits the header; a string is sent as is (a forgery).
 */
export async function postSigned(
  authToken: string,
  url: string,
  signUrl: string,
  form: Record<string, string>,
  signature: string | null | undefined,
): Promise<WebhookResponse> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': 'TwilioProxy/1.1',
    accept: '*/*',
    'i-twilio-idempotency-token': randomUUID(),
  };
  const header = signature === undefined ? getExpectedTwilioSignature(authToken, signUrl, form) : signature;
  if (header !== null) headers['x-twilio-signature'] = header;
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

export async function sendInbound(
  credentials: Credentials,
  target: WebhookTarget,
  params: InboundParams,
  options: { signature?: string | null; signUrl?: string } = {},
): Promise<InboundResult> {
  const form = inboundForm(credentials.accountSid, params);
  const publicUrl = withoutTrailingSlash(target.publicUrl) + INBOUND_PATH;
  const response = await postSigned(
    credentials.authToken,
    withoutTrailingSlash(target.url) + INBOUND_PATH,
    options.signUrl ?? publicUrl,
    form,
    options.signature,
  );
  return { ...response, messageSid: form.MessageSid ?? '', form };
}

/** Updates the message first, as Twilio does, so a fetch made while handling the callback agrees. */
export async function sendStatus(
  credentials: Credentials,
  target: WebhookTarget,
  message: EmulatedMessage,
  status: MessageStatus,
  options: { errorCode?: number; signature?: string | null } = {},
): Promise<WebhookResponse> {
  const callback = message.statusCallback;
  if (!callback) throw new Error(`sendStatus: message ${message.sid} was created without a StatusCallback, so Twilio would not call back`);
  message.status = status;
  if (options.errorCode !== undefined) message.errorCode = options.errorCode;
  const form = statusForm(message, status, options.errorCode);
  return postSigned(credentials.authToken, reachableUrl(target, callback), callback, form, options.signature);
}
