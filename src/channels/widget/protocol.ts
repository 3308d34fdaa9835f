/**
 * What the widget (browser) and the hub say to each other, over `/widget/v1` HTTP and the socket at
 * `/widget/v1/socket`. Types only: the browser bundle and the server both import this file, so it must
 * not import anything.
 */

/** The header that names the website on every widget HTTP request (or the `website` query parameter). */
export const WEBSITE_HEADER = 'X-Switchboard-Website';

export type WidgetLocale = 'en' | 'fr';
export type WidgetPosition = 'left' | 'right';

/** `GET /widget/v1/settings`: how the widget looks and whether someone is there. */
export interface WidgetSettings {
  name: string;
  /** `#rrggbb`: the launcher and the visitor's bubbles. */
  color: string;
  greeting: string | null;
  position: WidgetPosition;
  /** Null: the widget picks from the page's `lang`, then the browser's languages. */
  locale: WidgetLocale | null;
  preChatForm: boolean;
  requireVerifiedIdentity: boolean;
  recordPageViews: boolean;
  /** An agent of the website's team is online. */
  online: boolean;
  /** Shown with the offline form when nobody is online. */
  awayMessage: string;
  attachments: { maxBytes: number; allowedTypes: string[] };
}

/** `POST /widget/v1/visitors` (201) and `POST /widget/v1/identify` (200). */
export interface VisitorSession {
  /** Kept in localStorage; sent as `Authorization: Bearer <token>` and in the socket's `hello`. */
  token: string;
  visitorId: string;
  /** The verified user id when `identify` had a valid hash. */
  userId: string | null;
}

/** `POST /widget/v1/identify` body: `hash` is hex HMAC-SHA256 of `id` with the website's identity secret. */
export interface IdentifyInput {
  id: string;
  name?: string;
  email?: string;
  hash?: string;
}

export interface WidgetAttachment {
  name: string;
  contentType: string;
  size: number;
  /** A signed link that expires; images are shown as thumbnails from it. */
  url: string;
}

export type WidgetSender = 'visitor' | 'agent' | 'bot' | 'system';

/** A message as the visitor sees it: never a private note. */
export interface WidgetMessage {
  id: string;
  conversationId: string;
  /** The widget's own id of a visitor message (the `clientId` it was sent with), to match its echo. */
  clientId: string | null;
  from: WidgetSender;
  senderName: string | null;
  body: string;
  attachments: WidgetAttachment[];
  /** ISO 8601. */
  createdAt: string;
  /** Of the hub's outbound messages: sent, delivered, read. Of the visitor's: received. */
  status: string;
}

export interface WidgetConversation {
  id: string;
  status: 'open' | 'pending' | 'snoozed' | 'resolved';
  /** When an agent last read it (ISO 8601): the visitor's messages before it show as seen. */
  agentLastSeenAt: string | null;
  rating: { score: number; comment: string | null } | null;
  /** The hub can email the visitor this conversation's transcript: it sends email and has the visitor's address. */
  emailTranscript: boolean;
  createdAt: string;
}

/** `GET /widget/v1/history?after=<messageId>`: the visitor's conversations and messages, oldest first. */
export interface WidgetHistory {
  conversations: WidgetConversation[];
  messages: WidgetMessage[];
}

/** `POST /widget/v1/messages` body; a repeat of a `clientId` returns the stored message (200, not 201). */
export interface SendMessageInput {
  clientId: string;
  body: string;
  /** fileKeys from `POST /widget/v1/uploads`. */
  attachments?: { fileKey: string }[];
  /** The page the visitor wrote from (an absolute http(s) URL), shown to agents with the message. */
  pageUrl?: string;
}

/** `POST /widget/v1/uploads` (raw body, `Content-Type`, `?name=`) answers 201 with this. */
export interface UploadedFile {
  fileKey: string;
  name: string;
  contentType: string;
  size: number;
  url: string;
}

/** `POST /widget/v1/page-views` body; answers 201 `{ id }`. `PATCH /widget/v1/page-views/:id` takes `{ seconds }`. */
export interface PageViewInput {
  url: string;
  title?: string;
  referrer?: string;
}

/** `POST /widget/v1/offline` body: the offline form. */
export interface OfflineMessageInput {
  email: string;
  name?: string;
  message: string;
}

/** `POST /widget/v1/profile` body: the pre-chat form (the visitor's own contact only). */
export interface ProfileInput {
  name?: string;
  email?: string;
}

/** `PUT /widget/v1/conversations/:id/rating` body (only once the conversation is resolved). */
export interface RatingInput {
  score: 1 | 2 | 3 | 4 | 5;
  comment?: string;
}

/** `POST /widget/v1/conversations/:id/transcript/email` answers 202 with the address the transcript goes to. */
export interface TranscriptEmailed {
  sentTo: string;
}

/** Every error answer, HTTP or socket: the hub's JSON error shape. */
export interface WidgetError {
  error: { code: string; message: string; retryAfterSeconds?: number; details?: unknown };
}

/** Frames the widget sends on the socket. `hello` comes first; nothing else is accepted before it. */
export type ClientFrame =
  /** `after`: the last message the widget has; the hub sends every later one before `ready`. */
  | { type: 'hello'; token: string; after?: string }
  | { type: 'typing'; typing: boolean }
  /** The message reached the widget (delivered) or was shown in the open panel (read). */
  | { type: 'received'; messageId: string }
  | { type: 'read'; messageId: string }
  | { type: 'ping' };

/** Frames the hub sends on the socket. */
export type ServerFrame =
  | { type: 'ready'; online: boolean; conversations: WidgetConversation[] }
  /** A new message, or a changed one (its status): the widget replaces it by id. */
  | { type: 'message'; message: WidgetMessage }
  | { type: 'conversation'; conversation: WidgetConversation }
  | { type: 'typing'; conversationId: string; typing: boolean; name: string | null }
  | { type: 'presence'; online: boolean }
  | { type: 'pong' }
  | ({ type: 'error' } & WidgetError);
