import { z } from 'zod';
import { actorOfApiKey } from '../core/actor';
import type { Database } from '../core/database';
import { createInbox, deleteInbox, getInbox, listInboxes, updateInbox } from '../core/inboxes/inboxes';
import type { ChannelName } from '../core/model/types';
import { nameInput } from './inputs';
import { idParams } from './params';
import { route, type RouteSpec } from './route';

/** How one channel names its inboxes in the API: `/sms-numbers` of "Twilio numbers", `/email-addresses` of "support addresses". */
export interface InboxRoutesOptions {
  db: Database;
  channel: ChannelName;
  /** The collection's path under /api/v1, e.g. `/sms-numbers`. */
  path: string;
  /** Operation id parts: `SmsNumber` and `SmsNumbers` make `listSmsNumbers`, `getSmsNumber`, ... */
  names: { one: string; many: string };
  /** What one inbox is, in summaries: "Twilio number". */
  noun: string;
  tag: string;
  address: { schema: z.ZodType<string, string>; description: string; example: string };
  /** Told after each change, for a channel that keeps the addresses at hand (other processes see it later). */
  onChange?: () => void;
}

const teamFields = {
  name: nameInput.nullable().optional(),
  teamId: z.uuid().nullable().optional(),
};

// Long on purpose: a list of declarative route specs that share their dependencies.
/** A channel's business addresses and the team behind each, so that what comes in on one lands with the right team. */
export function inboxRoutes(options: InboxRoutesOptions): RouteSpec[] {
  const { db, channel, path, names, noun, tag } = options;
  const timestamp = z.iso.datetime();
  const view = z.object({
    id: z.string(),
    channel: z.literal(channel),
    address: z.string().describe(options.address.description),
    name: z.string().nullable(),
    teamId: z.string().nullable().describe(`The team whose conversations a message to this ${noun} opens`),
    createdAt: timestamp,
    updatedAt: timestamp,
  });
  return [
    route({
      method: 'get',
      path,
      operationId: `list${names.many}`,
      summary: `List the business's ${noun}s`,
      tag,
      scope: 'read',
      responses: { 200: { description: `${noun}s`, schema: z.object({ items: z.array(view) }) } },
      async handler() {
        return { status: 200, body: { items: await listInboxes(db, channel) } };
      },
    }),
    route({
      method: 'get',
      path: `${path}/:id`,
      operationId: `get${names.one}`,
      summary: `Get a ${noun}`,
      tag,
      scope: 'read',
      params: idParams,
      errors: [404],
      responses: { 200: { description: `The ${noun}`, schema: view } },
      async handler({ params }) {
        return { status: 200, body: await getInbox(db, channel, params.id) };
      },
    }),
    route({
      method: 'post',
      path,
      operationId: `create${names.one}`,
      summary: `Add a ${noun}, optionally routed to a team`,
      tag,
      scope: 'admin',
      body: z.strictObject({ address: options.address.schema, ...teamFields }),
      example: { address: options.address.example, name: 'Support', teamId: null },
      errors: [409],
      responses: { 201: { description: `The new ${noun}`, schema: view } },
      async handler({ body, apiKey }) {
        const created = await createInbox(db, channel, body, actorOfApiKey(apiKey));
        options.onChange?.();
        return { status: 201, body: created };
      },
    }),
    route({
      method: 'patch',
      path: `${path}/:id`,
      operationId: `update${names.one}`,
      summary: `Rename a ${noun} or change its team`,
      tag,
      scope: 'admin',
      params: idParams,
      body: z.strictObject(teamFields).refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' }),
      example: { teamId: null },
      errors: [404],
      responses: { 200: { description: `The ${noun} after the change`, schema: view } },
      async handler({ params, body, apiKey }) {
        const updated = await updateInbox(db, channel, params.id, body, actorOfApiKey(apiKey));
        options.onChange?.();
        return { status: 200, body: updated };
      },
    }),
    route({
      method: 'delete',
      path: `${path}/:id`,
      operationId: `delete${names.one}`,
      summary: `Remove a ${noun} (its conversations stay)`,
      tag,
      scope: 'admin',
      params: idParams,
      errors: [404],
      responses: { 204: { description: 'Removed' } },
      async handler({ params, apiKey }) {
        await deleteInbox(db, channel, params.id, actorOfApiKey(apiKey));
        options.onChange?.();
        return { status: 204 };
      },
    }),
  ];
}
