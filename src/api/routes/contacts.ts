import { z } from 'zod';
import { actorOfApiKey } from '../../core/actor';
import { getContact, listContacts, updateContact } from '../../core/contacts/directory';
import { listConversations } from '../../core/conversations/list';
import type { Database } from '../../core/database';
import { listPageViews } from '../../core/page-views/list';
import { emailInput, nameInput, phoneInput, storedText } from '../../http/inputs';
import { route, type RouteSpec } from '../../http/route';
import { cursor, idParams, limit } from '../../http/params';
import { contactView, conversationView, pageView, pageVisitView } from '../../http/views';

export interface ContactRouteDeps {
  db: Database;
  attributesMaxBytes: number;
  defaultPhoneRegion?: string;
}

// Long on purpose: a list of declarative route specs that share their dependencies.
export function contactRoutes({ db, attributesMaxBytes, defaultPhoneRegion }: ContactRouteDeps): RouteSpec[] {
  const patchBody = z
    .strictObject({
      name: nameInput.nullable().optional(),
      email: emailInput.nullable().optional(),
      phone: phoneInput(defaultPhoneRegion).nullable().optional().describe('Any format; stored in E.164'),
      attributes: z.record(storedText().max(100), z.unknown()).optional().describe('Merged into the custom attributes; a key set to null is removed'),
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
      example: { name: 'Ada King', attributes: { plan: 'pro', seats: 12 } },
      errors: [404],
      responses: { 200: { description: 'The contact after the change', schema: contactView } },
      async handler({ params, body, apiKey }) {
        return { status: 200, body: await updateContact(db, params.id, body, actorOfApiKey(apiKey), attributesMaxBytes) };
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
