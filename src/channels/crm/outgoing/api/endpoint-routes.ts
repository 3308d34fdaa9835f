import { z } from 'zod';
import { actorOfApiKey } from '../../../../core/actor';
import type { Database } from '../../../../core/database';
import { cursor, idParams, limit } from '../../../../http/params';
import { route, type RouteSpec } from '../../../../http/route';
import { pageView } from '../../../../http/views';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, rotateSecret, updateEndpoint, type EndpointSettings } from '../endpoint-admin';
import { webhookDescriptionInput, webhookEventsInput, webhookUrlInput } from './inputs';
import { endpointView, endpointWithSecretView } from './views';

const TAG = 'Webhooks';

// Long on purpose: a list of declarative route specs that share their dependencies.
/** `/api/v1/webhooks`: the endpoints the hub POSTs its events to, and their signing secrets. */
export function endpointRoutes({ db, settings }: { db: Database; settings: EndpointSettings }): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/webhooks',
      operationId: 'createWebhook',
      summary: 'Add a webhook endpoint: answers its signing secret, this once',
      tag: TAG,
      scope: 'admin',
      body: z.strictObject({ url: webhookUrlInput, events: webhookEventsInput, description: webhookDescriptionInput }),
      example: { url: 'https://crm.example.com/hooks/switchboard', events: ['conversation.created', 'message.created'], description: 'CRM sync' },
      responses: { 201: { description: 'The new endpoint with its secret (never shown again; rotate it to get a new one)', schema: endpointWithSecretView } },
      async handler({ body, apiKey }) {
        return { status: 201, body: await createEndpoint(db, settings, body, actorOfApiKey(apiKey)) };
      },
    }),
    route({
      method: 'get',
      path: '/webhooks',
      operationId: 'listWebhooks',
      summary: 'List the webhook endpoints, newest first',
      tag: TAG,
      scope: 'admin',
      query: z.strictObject({ limit, cursor }),
      responses: { 200: { description: 'A page of endpoints (without their secrets)', schema: pageView(endpointView) } },
      async handler({ query }) {
        return { status: 200, body: await listEndpoints(db, query) };
      },
    }),
    route({
      method: 'get',
      path: '/webhooks/:id',
      operationId: 'getWebhook',
      summary: 'Get a webhook endpoint',
      tag: TAG,
      scope: 'admin',
      params: idParams,
      errors: [404],
      responses: { 200: { description: 'The endpoint (without its secret)', schema: endpointView } },
      async handler({ params }) {
        return { status: 200, body: await getEndpoint(db, params.id) };
      },
    }),
    route({
      method: 'patch',
      path: '/webhooks/:id',
      operationId: 'updateWebhook',
      summary: "Change an endpoint's URL, events or description, or turn it off and on (on again clears the hub's reason for turning it off)",
      tag: TAG,
      scope: 'admin',
      params: idParams,
      body: z
        .strictObject({ url: webhookUrlInput.optional(), events: webhookEventsInput.optional(), enabled: z.boolean().optional(), description: webhookDescriptionInput })
        .refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' }),
      example: { events: ['*'], enabled: true },
      errors: [404],
      responses: { 200: { description: 'The endpoint after the change', schema: endpointView } },
      async handler({ params, body, apiKey }) {
        return { status: 200, body: await updateEndpoint(db, settings, params.id, body, actorOfApiKey(apiKey)) };
      },
    }),
    route({
      method: 'delete',
      path: '/webhooks/:id',
      operationId: 'deleteWebhook',
      summary: 'Remove a webhook endpoint and its delivery log (what it still had to send is dropped)',
      tag: TAG,
      scope: 'admin',
      params: idParams,
      errors: [404],
      responses: { 204: { description: 'Removed' } },
      async handler({ params, apiKey }) {
        await deleteEndpoint(db, params.id, actorOfApiKey(apiKey));
        return { status: 204 };
      },
    }),
    route({
      method: 'post',
      path: '/webhooks/:id/rotate-secret',
      operationId: 'rotateWebhookSecret',
      summary: 'A new signing secret; the old one keeps signing beside it for WEBHOOK_SECRET_OVERLAP_HOURS (a second rotation within that drops the oldest)',
      tag: TAG,
      scope: 'admin',
      params: idParams,
      errors: [404],
      responses: { 200: { description: 'The endpoint with its new secret (shown only now)', schema: endpointWithSecretView } },
      async handler({ params, apiKey }) {
        return { status: 200, body: await rotateSecret(db, settings, params.id, actorOfApiKey(apiKey)) };
      },
    }),
  ];
}
