import { z } from 'zod';
import { CONVERSATION_STATUSES, DELIVERY_STATUSES, PRIORITIES } from '../core/model/types';

/** Response shapes, for the OpenAPI document; the handlers build them from core's views. */
const timestamp = z.iso.datetime();
const nullableTimestamp = timestamp.nullable();

export const attachmentView = z.object({
  url: z.string(),
  contentType: z.string().optional(),
  name: z.string().optional(),
  size: z.number().optional(),
  fileKey: z.string().optional().describe("Set when the file is in the hub's upload storage (GET /api/v1/files/{fileKey})"),
});

export const messageView = z.object({
  id: z.string(),
  conversationId: z.string(),
  channel: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  senderKind: z.enum(['contact', 'agent', 'bot', 'system']),
  senderId: z.string().nullable(),
  body: z.string(),
  attachments: z.array(attachmentView),
  externalId: z.string().nullable(),
  deliveryStatus: z.enum(DELIVERY_STATUSES),
  failureReason: z.string().nullable().describe('Why delivery failed, e.g. "http_400: webhook answered HTTP 400"'),
  statusChangedAt: nullableTimestamp,
  private: z.boolean(),
  metadata: z
    .record(z.string(), z.unknown())
    .describe('Channel details, e.g. `segments` (SMS parts Twilio billed for a reply), `to` (the business number an SMS was sent to), `mediaFailures`'),
  createdAt: timestamp,
});

export const contactView = z.object({
  id: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  externalIds: z.record(z.string(), z.string()).describe('The contact\'s id in other systems, by system: `{ "hubspot": "…", "crm": "…" }`'),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const agentView = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  slackUserId: z.string().nullable(),
  status: z.enum(['online', 'away', 'offline']),
  capacity: z.number(),
  teamIds: z.array(z.string()).describe('The teams the agent belongs to: their websites show "online" while the agent is'),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** What follows a resolution, as a team or website sets it; null: the next in line decides. */
const afterResolveView = {
  followUpDelayHours: z.number().nullable().describe('Hours after resolution until the follow-up email; 0: none; null: decided by the next in line'),
  transcriptOnResolve: z.boolean().nullable().describe('The transcript is emailed on resolution; null: decided by the next in line'),
};

export const teamView = z.object({ id: z.string(), name: z.string(), slackChannelId: z.string().nullable(), ...afterResolveView, createdAt: timestamp, updatedAt: timestamp });

export const conversationView = z.object({
  id: z.string(),
  contactId: z.string(),
  channel: z.string(),
  identityId: z.string(),
  channelAddress: z.string().nullable().describe('The business address the customer wrote to (e.g. the Twilio number); replies go out from it'),
  subject: z.string().nullable().describe("The email's subject, on channels that have subjects"),
  status: z.enum(CONVERSATION_STATUSES),
  assigneeId: z.string().nullable(),
  teamId: z.string().nullable(),
  priority: z.enum(PRIORITIES),
  tags: z.array(z.string()),
  snoozedUntil: nullableTimestamp,
  firstResponseAt: nullableTimestamp,
  resolvedAt: nullableTimestamp,
  agentLastSeenAt: nullableTimestamp,
  lastMessageAt: timestamp,
  lastMessagePreview: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  contact: contactView.pick({ id: true, name: true, email: true, phone: true }),
  assignee: agentView.pick({ id: true, name: true, email: true }).nullable(),
  unreadCount: z.number().describe('Customer messages since an agent last read the conversation'),
  firstResponseSeconds: z.number().nullable(),
  resolutionSeconds: z.number().nullable(),
});

/** A page a widget visitor saw. */
export const pageVisitView = z.object({
  id: z.string(),
  contactId: z.string(),
  websiteId: z.string(),
  conversationId: z.string().nullable().describe('The conversation that was open at the time, if any'),
  url: z.string().describe('Without query string and fragment unless the website keeps query strings'),
  title: z.string().nullable(),
  referrer: z.string().nullable(),
  viewedAt: timestamp,
  durationSeconds: z.number().nullable().describe('Time on the page, once the visitor left it'),
  createdAt: timestamp,
});

export const conversationDetailView = conversationView.extend({
  pageViews: z.array(pageVisitView).describe("The contact's last 5 pages on the conversation's website, newest first (empty off the widget)"),
  rating: z.object({ score: z.number().describe('1 to 5'), comment: z.string().nullable(), createdAt: timestamp }).nullable().describe("The customer's rating, once they gave one"),
});

export const websiteView = z.object({
  id: z.string(),
  key: z.string().describe('Public: the data-website of the script tag'),
  name: z.string(),
  allowedOrigins: z.array(z.string()).describe('Page origins that may use the widget (https://shop.example.com, https://*.example.com)'),
  color: z.string(),
  greeting: z.string().nullable(),
  awayMessage: z.string().nullable(),
  position: z.enum(['left', 'right']),
  locale: z.enum(['en', 'fr']).nullable(),
  teamId: z.string().nullable(),
  identitySecret: z.string().optional().describe("Only for admin keys: signs visitors' user ids (hex HMAC-SHA256) for identify; keep it on your server"),
  requireVerifiedIdentity: z.boolean(),
  preChatForm: z.boolean(),
  recordPageViews: z.boolean(),
  keepQueryStrings: z.boolean(),
  ...afterResolveView,
  snippet: z.string().describe("The script tag to put on the website's pages"),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const auditView = z.object({
  id: z.string(),
  actorType: z.enum(['api_key', 'agent', 'system', 'cli', 'contact']),
  actorId: z.string().nullable(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  createdAt: timestamp,
});

export const mergeView = z.object({
  contact: contactView.describe('The contact after the merge'),
  mergeId: z.string().describe('Pass to POST /contacts/{id}/unmerge to undo the merge (within 30 days)'),
});

export const unmergeView = z.object({
  contact: contactView.describe('The contact merged into, without what the merge gave it'),
  restored: contactView.describe('The merged contact, re-created with its own id'),
  mergeId: z.string(),
});

export const duplicateView = z.object({
  contact: contactView,
  reason: z.enum(['email', 'phone']).describe('What both contacts share'),
  value: z.string().describe('The email address or phone number'),
  identity: z
    .object({ id: z.string(), contactId: z.string(), channel: z.string(), address: z.string() })
    .describe('The identity that proves the address: the customer wrote from it (SMS, email) or signed in with it (the widget with a valid hash)'),
});

export const timelineEntryView = z.object({
  type: z.enum(['message', 'conversation_started', 'conversation_resolved']),
  at: timestamp,
  conversationId: z.string(),
  channel: z.string(),
  message: messageView.optional().describe('For `message` entries; private notes included'),
});

export function pageView<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page') });
}
