import { z } from 'zod';
import { actorOfApiKey } from '../../core/actor';
import type { ChannelCatalog } from '../../core/channels/catalog';
import type { Database } from '../../core/database';
import { ValidationError } from '../../core/errors';
import { requestHash } from '../../core/idempotency';
import { getConversationDetails } from '../../core/conversations/details';
import { getConversation, listConversations } from '../../core/conversations/list';
import { markConversationRead, updateConversation } from '../../core/conversations/update';
import { listMessages } from '../../core/messages/list';
import { attachmentOf } from '../../core/files/uploads';
import { postReply } from '../../core/messages/replies';
import { CONVERSATION_STATUSES, PRIORITIES, type ApiKey, type Attachment } from '../../core/model/types';
import type { Outbox } from '../../core/outbox';
import type { FileStorage } from '../../core/ports/file-storage';
import { MAX_ATTACHMENTS, messageText, replyAttachmentInput, type FileKeyRef } from '../../http/inputs';
import { route, type RouteSpec } from '../../http/route';
import { cursor, idParams, limit } from '../../http/params';
import { conversationDetailView, conversationView, messageView, pageView } from '../../http/views';

export interface ConversationRouteDeps {
  db: Database;
  outbox: Outbox;
  /** What the conversation's channel carries: replies it cannot are refused before they are stored. */
  catalog: ChannelCatalog;
  messageMaxLength: number;
  /** Where `{ fileKey }` attachments of replies are looked up. */
  storage: FileStorage;
  publicUrl: string;
}

const tag = z.string().trim().regex(/^[\p{L}\p{N}][\p{L}\p{N}_-]{0,49}$/u, 'a tag is 1–50 letters, digits, - or _');

const listQuery = z.strictObject({
  status: z.enum(CONVERSATION_STATUSES).optional(),
  channel: z.string().max(32).optional(),
  assignee: z.union([z.literal('me'), z.literal('none'), z.uuid()]).optional().describe('An agent id, "me" (the key\'s agent) or "none"'),
  team: z.uuid().optional(),
  tag: tag.optional(),
  contact: z.uuid().optional(),
  updatedSince: z.iso.datetime({ offset: true }).optional(),
  q: z.string().trim().min(1).max(100).optional().describe("Text in the contact's name, email or phone"),
  limit,
  cursor,
});

const messagesQuery = z.strictObject({
  after: z.uuid().optional().describe('Messages after this message id'),
  before: z.uuid().optional().describe('Messages before this message id'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

function replyBody(messageMaxLength: number) {
  return z
    .strictObject({
      body: messageText(messageMaxLength).default(''),
      private: z.boolean().default(false).describe('A private note: stored, never sent to the customer'),
      attachments: z.array(replyAttachmentInput).max(MAX_ATTACHMENTS).default([]),
    })
    .refine((b) => b.body.trim().length > 0 || b.attachments.length > 0, { message: 'needs a non-empty body or an attachment', path: ['body'] });
}

const patchBody = z
  .strictObject({
    status: z.enum(CONVERSATION_STATUSES).optional(),
    snoozedUntil: z.iso.datetime({ offset: true }).optional().describe('Required with status "snoozed"'),
    assigneeId: z.union([z.uuid(), z.literal('me'), z.null()]).optional().describe('An agent id, "me", or null to unassign'),
    teamId: z.uuid().nullable().optional(),
    priority: z.enum(PRIORITIES).optional(),
    tags: z.array(tag).max(20).optional().describe('Replaces the tags'),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' })
  .refine((b) => b.status !== 'snoozed' || b.snoozedUntil !== undefined, { message: 'is required when status is snoozed', path: ['snoozedUntil'] });

/** `me` stands for the agent the API key acts as. */
function resolveMe(value: string, apiKey: ApiKey, field: string): string {
  if (value !== 'me') return value;
  if (!apiKey.agentId) throw new ValidationError(`"${field}=me" needs an API key that acts as an agent`, [{ path: field, message: 'this API key acts as no agent', code: 'no_agent' }]);
  return apiKey.agentId;
}

/** Replaces `{ fileKey }` attachments by the stored files' full attachments; an unknown key is a 400. */
async function resolveAttachments(storage: FileStorage, publicUrl: string, attachments: (Attachment | FileKeyRef)[]): Promise<Attachment[]> {
  const files = await Promise.all(attachments.map(async (attachment) => ('url' in attachment ? undefined : storage.describe(attachment.fileKey))));
  const resolved: Attachment[] = [];
  const unknown: { path: string; message: string; code: string }[] = [];
  attachments.forEach((attachment, index) => {
    const file = files[index];
    if ('url' in attachment) resolved.push(attachment);
    else if (file) resolved.push(attachmentOf({ fileKey: attachment.fileKey, contentType: file.contentType, name: file.name, size: file.size }, publicUrl));
    else unknown.push({ path: `attachments.${index}.fileKey`, message: 'is not an uploaded file', code: 'unknown_file' });
  });
  if (unknown.length > 0) throw new ValidationError(`Request body is invalid: ${unknown.map((d) => `${d.path}: ${d.message}`).join('; ')}`, unknown);
  return resolved;
}

// Long on purpose: a list of declarative route specs (schemas, docs, a short handler each) that share their dependencies.
export function conversationRoutes({ db, outbox, catalog, messageMaxLength, storage, publicUrl }: ConversationRouteDeps): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/conversations',
      operationId: 'listConversations',
      summary: 'List conversations, newest activity first',
      tag: 'Conversations',
      scope: 'read',
      query: listQuery,
      responses: { 200: { description: 'A page of conversations', schema: pageView(conversationView) } },
      async handler({ query, apiKey }) {
        const page = await listConversations(db, {
          status: query.status,
          channel: query.channel,
          assignee: query.assignee ? resolveMe(query.assignee, apiKey, 'assignee') : undefined,
          teamId: query.team,
          tag: query.tag,
          contactId: query.contact,
          updatedSince: query.updatedSince ? new Date(query.updatedSince) : undefined,
          q: query.q,
          limit: query.limit,
          cursor: query.cursor,
        });
        return { status: 200, body: page };
      },
    }),
    route({
      method: 'get',
      path: '/conversations/:id',
      operationId: 'getConversation',
      summary: 'Get a conversation',
      tag: 'Conversations',
      scope: 'read',
      params: idParams,
      errors: [404],
      responses: { 200: { description: "The conversation, with the visitor's last pages and their rating", schema: conversationDetailView } },
      async handler({ params, res }) {
        res.locals.conversationId = params.id;
        return { status: 200, body: await getConversationDetails(db, params.id) };
      },
    }),
    route({
      method: 'patch',
      path: '/conversations/:id',
      operationId: 'updateConversation',
      summary: 'Change status (open, pending, snoozed, resolved), assignee, team, priority or tags',
      tag: 'Conversations',
      scope: 'write',
      params: idParams,
      body: patchBody,
      example: { status: 'snoozed', snoozedUntil: '2030-01-01T09:00:00Z', priority: 'high', tags: ['billing'] },
      errors: [404, 409],
      responses: { 200: { description: 'The conversation after the change', schema: conversationView } },
      async handler({ params, body, apiKey, res }) {
        res.locals.conversationId = params.id;
        await updateConversation(
          { db, outbox },
          params.id,
          {
            status: body.status,
            snoozedUntil: body.snoozedUntil ? new Date(body.snoozedUntil) : undefined,
            assigneeId: body.assigneeId ? resolveMe(body.assigneeId, apiKey, 'assigneeId') : body.assigneeId,
            teamId: body.teamId,
            priority: body.priority,
            tags: body.tags,
          },
          actorOfApiKey(apiKey),
        );
        return { status: 200, body: await getConversation(db, params.id) };
      },
    }),
    route({
      method: 'post',
      path: '/conversations/:id/read',
      operationId: 'markConversationRead',
      summary: "Mark the conversation read by agents (resets its unread count)",
      tag: 'Conversations',
      scope: 'write',
      params: idParams,
      errors: [404],
      responses: { 200: { description: 'The conversation', schema: conversationView } },
      async handler({ params, apiKey }) {
        await markConversationRead({ db, outbox }, params.id, actorOfApiKey(apiKey));
        return { status: 200, body: await getConversation(db, params.id) };
      },
    }),
    route({
      method: 'get',
      path: '/conversations/:id/messages',
      operationId: 'listMessages',
      summary: "A conversation's messages, oldest first",
      tag: 'Messages',
      scope: 'read',
      params: idParams,
      query: messagesQuery,
      errors: [404],
      responses: { 200: { description: 'Messages', schema: z.object({ items: z.array(messageView), hasMore: z.boolean() }) } },
      async handler({ params, query, res }) {
        res.locals.conversationId = params.id;
        return { status: 200, body: await listMessages(db, params.id, query) };
      },
    }),
    route({
      method: 'post',
      path: '/conversations/:id/messages',
      operationId: 'postMessage',
      summary: 'Reply to the customer on their channel, or add a private note',
      tag: 'Messages',
      scope: 'write',
      params: idParams,
      body: replyBody(messageMaxLength),
      example: { body: 'Sure, I have changed the address on order 1042.' },
      headers: [{ name: 'Idempotency-Key', description: 'Retrying with the same key and body returns the first result and sends nothing again; another body → 409' }],
      errors: [404, 409],
      responses: {
        201: { description: 'The message, queued for delivery (or stored, for a note)', schema: messageView },
      },
      async handler({ params, body, apiKey, req, res }) {
        res.locals.conversationId = params.id;
        const key = req.get('idempotency-key');
        if (key !== undefined && (key.length === 0 || key.length > 255)) {
          throw new ValidationError('Idempotency-Key must be 1–255 characters', [{ path: 'Idempotency-Key', message: 'must be 1–255 characters', code: 'too_big' }]);
        }
        const attachments = await resolveAttachments(storage, publicUrl, body.attachments);
        const result = await postReply(
          { db, outbox, catalog },
          params.id,
          { ...body, attachments },
          actorOfApiKey(apiKey),
          key ? { apiKeyId: apiKey.id, key, requestHash: requestHash('POST', `/conversations/${params.id}/messages`, body) } : undefined,
        );
        const headers: Record<string, string> = result.replayed ? { 'Idempotent-Replayed': 'true' } : {};
        return { status: 201, body: result.message, headers };
      },
    }),
  ];
}
