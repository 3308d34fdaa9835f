import { z } from 'zod';
import { actorOfApiKey } from '../../core/actor';
import { createInbox, deleteInbox, getInbox, listInboxes, updateInbox } from '../../core/inboxes/inboxes';
import type { Database } from '../../core/database';
import { nameInput } from '../../http/inputs';
import { route, type RouteSpec } from '../../http/route';
import { idParams } from '../../http/params';
import { SMS_CHANNEL } from './outbound';

const timestamp = z.iso.datetime();
const smsNumberView = z.object({
  id: z.string(),
  channel: z.literal(SMS_CHANNEL),
  address: z.string().describe('The Twilio number in E.164'),
  name: z.string().nullable(),
  teamId: z.string().nullable().describe('The team whose conversations texts to this number open'),
  createdAt: timestamp,
  updatedAt: timestamp,
});
const numberFields = {
  name: nameInput.nullable().optional(),
  teamId: z.uuid().nullable().optional(),
};

// Long on purpose: a list of declarative route specs that share their dependencies.
/** The business's Twilio numbers and the team behind each, so a text lands with the right team. */
export function smsNumberRoutes({ db }: { db: Database }): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/sms-numbers',
      operationId: 'listSmsNumbers',
      summary: "List the business's Twilio numbers",
      tag: 'SMS',
      scope: 'read',
      responses: { 200: { description: 'Twilio numbers', schema: z.object({ items: z.array(smsNumberView) }) } },
      async handler() {
        return { status: 200, body: { items: await listInboxes(db, SMS_CHANNEL) } };
      },
    }),
    route({
      method: 'get',
      path: '/sms-numbers/:id',
      operationId: 'getSmsNumber',
      summary: 'Get a Twilio number',
      tag: 'SMS',
      scope: 'read',
      params: idParams,
      errors: [404],
      responses: { 200: { description: 'The number', schema: smsNumberView } },
      async handler({ params }) {
        return { status: 200, body: await getInbox(db, SMS_CHANNEL, params.id) };
      },
    }),
    route({
      method: 'post',
      path: '/sms-numbers',
      operationId: 'createSmsNumber',
      summary: 'Add a Twilio number, optionally routed to a team',
      tag: 'SMS',
      scope: 'admin',
      body: z.strictObject({ address: z.string().regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 number like +15550100'), ...numberFields }),
      example: { address: '+14155550100', name: 'US support line', teamId: null },
      errors: [409],
      responses: { 201: { description: 'The new number', schema: smsNumberView } },
      async handler({ body, apiKey }) {
        return { status: 201, body: await createInbox(db, SMS_CHANNEL, body, actorOfApiKey(apiKey)) };
      },
    }),
    route({
      method: 'patch',
      path: '/sms-numbers/:id',
      operationId: 'updateSmsNumber',
      summary: "Rename a Twilio number or change its team",
      tag: 'SMS',
      scope: 'admin',
      params: idParams,
      body: z.strictObject(numberFields).refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' }),
      example: { teamId: null },
      errors: [404],
      responses: { 200: { description: 'The number after the change', schema: smsNumberView } },
      async handler({ params, body, apiKey }) {
        return { status: 200, body: await updateInbox(db, SMS_CHANNEL, params.id, body, actorOfApiKey(apiKey)) };
      },
    }),
    route({
      method: 'delete',
      path: '/sms-numbers/:id',
      operationId: 'deleteSmsNumber',
      summary: 'Remove a Twilio number (its conversations stay)',
      tag: 'SMS',
      scope: 'admin',
      params: idParams,
      errors: [404],
      responses: { 204: { description: 'Removed' } },
      async handler({ params, apiKey }) {
        await deleteInbox(db, SMS_CHANNEL, params.id, actorOfApiKey(apiKey));
        return { status: 204 };
      },
    }),
  ];
}
