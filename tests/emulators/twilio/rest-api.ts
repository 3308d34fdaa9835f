import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, readBody, send, type Answer } from '../http';
import { basicCredentials, twilioError } from './http';
import { downloadMedia, type StoredMedia } from './media';
import { countSegments } from './segments';
import { newSid } from './sids';
import type { EmulatedMessage, EmulatedRequest, Failure } from './types';

/** What the REST side reads and changes; the emulator owns it so tests can inspect and steer it. */
export interface RestState {
  readonly accountSid: string;
  readonly authToken: string;
  readonly messages: EmulatedMessage[];
  readonly requests: EmulatedRequest[];
  readonly media: ReadonlyMap<string, StoredMedia>;
  isOptedOut(number: string): boolean;
  takeFailure(): Failure | undefined;
  /** A status the next download of this inbound media answers with instead of the file. */
  takeMediaFailure(path: string): number | undefined;
  /** Resolves when inbound media may be served (see TwilioEmulator.holdMedia). */
  mediaReleased(): Promise<void>;
}

const API_VERSION = '2010-04-01';
const ACCOUNT_PATH = /^\/2010-04-01\/Accounts\/([^/]+)(\/.*)$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const MAX_BODY_CHARS = 1600;

/** Twilio's date format ("Tue, 25 Nov 2025 12:00:00 +0000"), which the SDK parses into Date objects. */
function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** The message resource exactly as the 2010-04-01 API spells it (counts are strings there). */
function messageResource(message: EmulatedMessage): Record<string, unknown> {
  const uri = `/${API_VERSION}/Accounts/${message.accountSid}/Messages/${message.sid}`;
  return {
    account_sid: message.accountSid,
    api_version: API_VERSION,
    body: message.body,
    date_created: rfc2822(message.createdAt),
    date_sent: null,
    date_updated: rfc2822(message.createdAt),
    direction: 'outbound-api',
    error_code: message.errorCode,
    error_message: null,
    from: message.from,
    messaging_service_sid: null,
    num_media: String(message.mediaUrls.length),
    num_segments: String(message.numSegments),
    price: null,
    price_unit: 'USD',
    sid: message.sid,
    status: message.status,
    subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` },
    to: message.to,
    uri: `${uri}.json`,
  };
}

function failureAnswer(failure: Failure): Answer {
  if ('code' in failure) return twilioError(failure.status, failure.code, failure.message);
  const headers: Record<string, string> = failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.retryAfterSeconds) };
  if (failure.status === 429) return twilioError(429, 20429, 'Too Many Requests', headers);
  if (failure.status === 503) return twilioError(503, 20503, 'Service Unavailable', headers);
  return twilioError(500, 20500, 'Internal Server Error', headers);
}

function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
}

/** The checks Twilio makes before accepting a message, in the order that decides which error wins. */
function validate(state: RestState, form: URLSearchParams): Answer | null {
  const to = form.get('To') ?? '';
  const body = form.get('Body') ?? '';
  const mediaUrls = form.getAll('MediaUrl');
  if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
  if (!form.get('From')) return twilioError(400, 21603, "A 'From' phone number is required.");
  if (!body && mediaUrls.length === 0) return twilioError(400, 21602, 'Message body is required.');
  if (body.length > MAX_BODY_CHARS) return twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
  if (!mediaUrls.every(isHttpUrl)) return twilioError(400, 21620, 'Invalid media URL(s).');
  if (!E164.test(to)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
  if (state.isOptedOut(to)) return twilioError(400, 21610, 'Attempt to send to unsubscribed recipient');
  return null;
}

async function createMessage(state: RestState, req: IncomingMessage): Promise<Answer> {
  const form = new URLSearchParams(await readBody(req));
  const failure = state.takeFailure();
  if (failure) return failureAnswer(failure);
  const invalid = validate(state, form);
  if (invalid) return invalid;
  const mediaUrls = form.getAll('MediaUrl');
  const body = form.get('Body') ?? '';
  const statusCallback = form.get('StatusCallback');
  const message: EmulatedMessage = {
    sid: newSid('SM'),
    accountSid: state.accountSid,
    from: form.get('From') ?? '',
    to: form.get('To') ?? '',
    body,
    mediaUrls,
    ...(statusCallback ? { statusCallback } : {}),
    numSegments: countSegments(body),
    status: 'queued',
    errorCode: null,
    createdAt: new Date(),
    fetchedMedia: await Promise.all(mediaUrls.map(downloadMedia)),
  };
  state.messages.push(message);
  return json(201, messageResource(message));
}

function authorized(state: RestState, req: IncomingMessage, pathAccountSid: string): boolean {
  const credentials = basicCredentials(req.headers.authorization);
  return credentials?.user === state.accountSid && credentials.password === state.authToken && pathAccountSid === state.accountSid;
}

function notFound(pathname: string): Answer {
  return twilioError(404, 20404, `The requested resource ${pathname} was not found`);
}

async function serveMedia(state: RestState, path: string, media: StoredMedia): Promise<Answer> {
  await state.mediaReleased();
  const failure = state.takeMediaFailure(path);
  if (failure !== undefined) return twilioError(failure, 20000 + failure, `Emulated media failure ${failure}`);
  return { status: 200, headers: { 'content-type': media.contentType }, body: media.bytes };
}

async function route(state: RestState, req: IncomingMessage, pathname: string): Promise<Answer> {
  const match = ACCOUNT_PATH.exec(pathname);
  const [, accountSid = '', rest = ''] = match ?? [];
  if (!match) return notFound(pathname);
  if (!authorized(state, req, accountSid)) return twilioError(401, 20003, 'Authenticate');
  if (rest === '/Messages.json') {
    return req.method === 'POST' ? createMessage(state, req) : twilioError(405, 20004, 'Method not allowed');
  }
  if (req.method !== 'GET') return twilioError(405, 20004, 'Method not allowed');
  const sid = /^\/Messages\/([^/]+)\.json$/.exec(rest)?.[1];
  if (sid !== undefined) {
    const message = state.messages.find((m) => m.sid === sid);
    return message ? json(200, messageResource(message)) : notFound(pathname);
  }
  const media = state.media.get(pathname);
  if (media) return serveMedia(state, pathname, media);
  return notFound(pathname);
}

/** Answers one request to the 2010-04-01 API and records it in `state.requests`. */
export async function handleRest(state: RestState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { pathname } = new URL(req.url ?? '/', 'http://emulator.invalid');
  let answer: Answer;
  try {
    answer = await route(state, req, pathname);
  } catch (error) {
    answer = twilioError(500, 20500, `Emulator error: ${error instanceof Error ? error.message : String(error)}`);
  }
  state.requests.push({ method: req.method ?? '', path: pathname, status: answer.status });
  send(res, answer);
}
