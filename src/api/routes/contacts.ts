import { z } from 'zod';
import { actorOfApiKey } from '../../core/actor';
import type { ChannelCatalog } from '../../core/channels/catalog';
import { getContact, listContacts, updateContact } from '../../core/contacts/directory';
import { findDuplicates } from '../../core/contacts/duplicates';
import { mergeContacts, UNMERGE_DAYS } from '../../core/contacts/merge';
import { contactTimeline } from '../../core/contacts/timeline';
import { unmergeContacts } from '../../core/contacts/unmerge';
import { listConversations } from '../../core/conversations/list';
import type { Database } from '../../core/database';
import type { Outbox } from '../../core/outbox';
import { listPageViews } from '../../core/page-views/list';
import { emailInput, nameInput, phoneInput, storedText } from '../../http/inputs';
import { route, type RouteSpec } from '../../http/route';
import { cursor, idParams, limit } from '../../http/params';
import { contactView, conversationView, duplicateView, mergeView, pageView, pageVisitView, timelineEntryView, unmergeView } from '../../http/views';

export interface ContactRouteDeps {
  db: Database;
  outbox: Outbox;
  catalog: ChannelCatalog;
  attributesMaxBytes: number;
  defaultPhoneRegion?: string;
}

// Long on purpose: a list of declarative route specs that share their dependencies.
/** A system's name in `externalIds`: lower case, as the CRM channels name themselves (`hubspot`, `crm`). */
const systemName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'is not a system name (lower-case letters, digits, - and _; at most 32)');

export function contactRoutes({ db, outbox, catalog, attributesMaxBytes, defaultPhoneRegion }: ContactRouteDeps): RouteSpec[] {
  const patchBody = z
    .strictObject({
      name: nameInput.nullable().optional(),
      email: emailInput.nullable().optional(),
      phone: phoneInput(defaultPhoneRegion).nullable().optional().describe('Any format; stored in E.164'),
      attributes: z.record(storedText().max(100), z.unknown()).optional().describe('Merged into the custom attributes; a key set to null is removed'),
      externalIds: z
        .record(systemName, storedText().trim().min(1).max(255).nullable())
        .optional()
        .describe("The contact's id per system; null removes it. An id another contact has in the system is refused (409 external_id_taken)"),
    })
    .refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' });

  return [
    route({
      method: 'get',
      path: '/contacts',
      operationId: 'listContacts',
      summary: 'List or search contacts, newest first',
      tag: 'Contacts',
      scope: 'read',
      query: z.strictObject({ q: z.string().trim().min(1).max(100).optional().describe('Text in name, email or phone'), limit, cursor }),
      responses: { 200: { description: 'A page of contacts', schema: pageView(contactView) } },
      async handler({ query }) {
        return { status: 200, body: await listContacts(db, query) };
      },
    }),
    route({
      method: 'get',
      path: '/contacts/:id',
      operationId: 'getContact',
      summary: 'Get a contact',
      tag: 'Contacts',
      scope: 'read',
      params: idParams,
      errors: [404],
      responses: { 200: { description: 'The contact', schema: contactView } },
      async handler({ params }) {
        return { status: 200, body: await getContact(db, params.id) };
      },
    }),
    route({
      method: 'patch',
      path: '/contacts/:id',
      operationId: 'updateContact',
      summary: "Change a contact's name, email, phone or custom attributes",
      tag: 'Contacts',
      scope: 'write',
      params: idParams,
      body: patchBody,
      example: { name: 'Ada King', attributes: { plan: 'pro', seats: 12 }, externalIds: { hubspot: '51' } },
      errors: [404, 409],
      responses: { 200: { description: 'The contact after the change', schema: contactView } },
      async handler({ params, body, apiKey }) {
        return { status: 200, body: await updateContact({ db, outbox }, params.id, body, actorOfApiKey(apiKey), attributesMaxBytes) };
      },
    }),
    route({
      method: 'post',
      path: '/contacts/:id/merge',
      operationId: 'mergeContacts',
      summary: `Merge another contact into this one (its identities, conversations, page views, external ids; this one wins on conflicts); undo within ${UNMERGE_DAYS} days`,
      tag: 'Contacts',
      scope: 'write',
      params: idParams,
      body: z.strictObject({ from: z.uuid().describe('The contact merged into this one (deleted by the merge)') }),
      example: { from: '0b9d3c1e-5f6a-4b7c-8d9e-0f1a2b3c4d5e' },
      errors: [404],
      responses: { 200: { description: 'The merged contact and the id of the merge', schema: mergeView } },
      async handler({ params, body, apiKey }) {
        return { status: 200, body: await mergeContacts({ db, outbox }, params.id, body.from, actorOfApiKey(apiKey)) };
      },
    }),
    route({
      method: 'post',
      path: '/contacts/:id/unmerge',
      operationId: 'unmergeContacts',
      summary: `Undo a merge into this contact (the latest standing one without mergeId); refused after ${UNMERGE_DAYS} days`,
      tag: 'Contacts',
      scope: 'write',
      params: idParams,
      body: z.strictObject({ mergeId: z.uuid().optional().describe('The merge to undo (the latest when omitted)') }),
      example: { mergeId: '0b9d3c1e-5f6a-4b7c-8d9e-0f1a2b3c4d5e' },
      errors: [404, 409],
      responses: { 200: { description: 'Both contacts after the unmerge', schema: unmergeView } },
      async handler({ params, body, apiKey }) {
        return { status: 200, body: await unmergeContacts({ db, outbox }, params.id, body.mergeId, actorOfApiKey(apiKey)) };
      },
    }),
    route({
      method: 'get',
      path: '/contacts/:id/duplicates',
      operationId: 'listContactDuplicates',
      summary: 'Other contacts that are likely the same person, on a verified email or phone (never an email only typed into the widget)',
      tag: 'Contacts',
      scope: 'read',
      params: idParams,
      errors: [404],
      responses: { 200: { description: 'Merge suggestions, each with its reason', schema: z.object({ items: z.array(duplicateView) }) } },
      async handler({ params }) {
        return { status: 200, body: { items: await findDuplicates({ db, catalog }, params.id) } };
      },
    }),
    route({
      method: 'get',
      path: '/contacts/:id/timeline',
      operationId: 'getContactTimeline',
      summary: "A contact's messages across all their conversations and channels, newest first",
      tag: 'Contacts',
      scope: 'read',
      params: idParams,
      query: z.strictObject({ limit, cursor }),
      errors: [404],
      responses: { 200: { description: 'A page of timeline entries', schema: pageView(timelineEntryView) } },
      async handler({ params, query }) {
        return { status: 200, body: await contactTimeline(db, params.id, query) };
      },
    }),
    route({
      method: 'get',
      path: '/contacts/:id/conversations',
      operationId: 'listContactConversations',
      summary: "A contact's conversations, newest activity first",
      tag: 'Contacts',
      scope: 'read',
      params: idParams,
      query: z.strictObject({ limit, cursor }),
      errors: [404],
      responses: { 200: { description: 'A page of conversations', schema: pageView(conversationView) } },
      async handler({ params, query }) {
        await getContact(db, params.id);
        return { status: 200, body: await listConversations(db, { contactId: params.id, limit: query.limit, cursor: query.cursor }) };
      },
    }),
    route({
      method: 'get',
      path: '/contacts/:id/page-views',
      operationId: 'listContactPageViews',
      summary: 'The pages a contact saw on websites with the chat widget, newest first',
      tag: 'Contacts',
      scope: 'read',
      params: idParams,
      query: z.strictObject({ limit, cursor }),
      errors: [404],
      responses: { 200: { description: 'A page of page views', schema: pageView(pageVisitView) } },
      async handler({ params, query }) {
        return { status: 200, body: await listPageViews(db, params.id, query) };
      },
    }),
  ];
}
