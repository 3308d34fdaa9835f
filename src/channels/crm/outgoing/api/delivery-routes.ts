import { z } from 'zod';
import { actorOfApiKey } from '../../../../core/actor';
import { WEBHOOK_DELIVERY_STATUSES } from '../../../../core/model/types';
import { cursor, idParams, limit } from '../../../../http/params';
import { route, type RouteSpec } from '../../../../http/route';
import { pageView } from '../../../../http/views';
import { listDeliveries, redeliver, redeliverFailed, sendTestEvent, type DeliveryLogDeps } from '../delivery-log';
import { deliveryView } from './views';

const TAG = 'Webhooks';

const deliveryParams = z.strictObject({ id: z.uuid().describe("The endpoint's id"), deliveryId: z.uuid().describe("The delivery's id") });

// Long on purpose: a list of declarative route specs that share their dependencies.
/** An endpoint's delivery log, and sending again what failed or a test event. */
export function deliveryRoutes(deps: DeliveryLogDeps): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/webhooks/:id/deliveries',
      operationId: 'listWebhookDeliveries',
      summary: "An endpoint's deliveries, newest first: each try's status code, latency and the start of the answer",
      tag: TAG,
      scope: 'admin',
      params: idParams,
      query: z.strictObject({ status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(), limit, cursor }),
      errors: [404],
      responses: { 200: { description: 'A page of deliveries', schema: pageView(deliveryView) } },
      async handler({ params, query }) {
        return { status: 200, body: await listDeliveries(deps.db, params.id, query) };
      },
    }),
    route({
      method: 'post',
      path: '/webhooks/:id/deliveries/:deliveryId/redeliver',
      operationId: 'redeliverWebhookDelivery',
      summary: 'Send a finished delivery again, with the same webhook-id',
      tag: TAG,
      scope: 'admin',
      params: deliveryParams,
      errors: [404, 409],
      responses: { 202: { description: 'Pending again: the workers send it', schema: deliveryView } },
      async handler({ params, apiKey }) {
        return { status: 202, body: await redeliver(deps, params.id, params.deliveryId, actorOfApiKey(apiKey)) };
      },
    }),
    route({
      method: 'post',
      path: '/webhooks/:id/redeliver-failed',
      operationId: 'redeliverFailedWebhookDeliveries',
      summary: 'Send again every failed delivery of the events since a time, each with its webhook-id',
      tag: TAG,
      scope: 'admin',
      params: idParams,
      query: z.strictObject({ since: z.iso.datetime({ offset: true }).describe('Deliveries of events from this time on (ISO 8601)') }),
      errors: [404, 409],
      responses: { 202: { description: 'How many are pending again', schema: z.object({ count: z.number() }) } },
      async handler({ params, query, apiKey }) {
        return { status: 202, body: { count: await redeliverFailed(deps, params.id, new Date(query.since), actorOfApiKey(apiKey)) } };
      },
    }),
    route({
      method: 'post',
      path: '/webhooks/:id/test',
      operationId: 'testWebhook',
      summary: 'Send a webhook.test event to this endpoint alone',
      tag: TAG,
      scope: 'admin',
      params: idParams,
      errors: [404, 409],
      responses: {
        202: { description: 'Its delivery, pending: follow it in the delivery log', schema: z.object({ deliveryId: z.string(), eventId: z.string().describe('The webhook-id it is sent with') }) },
      },
      async handler({ params, apiKey }) {
        const delivery = await sendTestEvent(deps, params.id, actorOfApiKey(apiKey));
        return { status: 202, body: { deliveryId: delivery.id, eventId: delivery.eventId } };
      },
    }),
  ];
}
