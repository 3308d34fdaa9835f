import type { Request } from 'express';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { z } from 'zod';
import { emailInput, messageText, nameInput, phoneInput, storedText } from '../../../http/inputs';
import { parseInput } from '../../../http/validation';
import type { CrmAction, ReceivedEvent } from './actions';
import { badSignature, parseJson } from './json';
import type { InboundProvider } from './provider';

/** The external ids of the generic webhook's events are of this system. */
export const GENERIC_SYSTEM = 'crm';

export interface GenericOptions {
  /** CRM_WEBHOOK_SECRET: `whsec_` and base64. */
  secret: string;
  defaultPhoneRegion: string | undefined;
  messageMaxLength: number;
}

const HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

const NAME_THE_CONTACT = { message: 'name the contact: externalId, email or phone', path: ['externalId'] };
const namesContact = (data: { externalId?: string | undefined; email?: string | null | undefined; phone?: string | null | undefined }) =>
  data.externalId !== undefined || typeof data.email === 'string' || typeof data.phone === 'string';

/** `{ type, timestamp, data }` with the data of one event type, read into what it asks. */
function reader<D extends z.ZodType>(data: D, action: (data: z.output<D>) => CrmAction): (json: unknown) => CrmAction {
  const schema = z.object({ type: z.string(), timestamp: z.string().max(64).optional(), data: data as z.ZodType<z.output<D>> });
  return (json) => action(parseInput(schema, json, 'The event').data);
}

function eventReaders(options: GenericOptions): Record<string, (json: unknown) => CrmAction> {
  const system = GENERIC_SYSTEM;
  const ref = {
    externalId: storedText().trim().min(1).max(255).optional(),
    email: emailInput.optional(),
    phone: phoneInput(options.defaultPhoneRegion).optional(),
  };
  const body = messageText(options.messageMaxLength).trim().min(1);
  const upsert = z
    .object({
      ...ref,
      email: emailInput.nullable().optional(),
      phone: phoneInput(options.defaultPhoneRegion).nullable().optional(),
      name: nameInput.nullable().optional(),
      attributes: z.record(storedText().max(100), z.unknown()).optional(),
    })
    .refine(namesContact, NAME_THE_CONTACT);
  return {
    'contact.upsert': reader(upsert, (contact) => ({ kind: 'upsert', system, contact })),
    'contact.delete': reader(z.object(ref).refine(namesContact, NAME_THE_CONTACT), (data) => ({ kind: 'delete', system, ref: data })),
    'note.create': reader(z.object({ ...ref, body }).refine(namesContact, NAME_THE_CONTACT), ({ body: text, ...data }) => ({ kind: 'note', system, ref: data, body: text })),
    'message.send': reader(z.object({ ...ref, channel: storedText().trim().min(1).max(32), body }).refine(namesContact, NAME_THE_CONTACT), ({ body: text, channel, ...data }) => ({
      kind: 'send',
      system,
      ref: data,
      channel,
      body: text,
    })),
  };
}

const envelope = z.object({ type: storedText().min(1).max(64), data: z.unknown().optional() });
const eventId = storedText().min(1).max(255);

/**
 * `POST /webhooks/crm/generic`: one event per request, `{ type, timestamp, data }`, signed per Standard
 * Webhooks with CRM_WEBHOOK_SECRET (the library refuses timestamps more than 5 minutes off); its
 * `webhook-id` is the event's id.
 */
export function genericProvider(options: GenericOptions): InboundProvider {
  const webhook = new Webhook(options.secret);
  const readers = new Map(Object.entries(eventReaders(options)));
  return {
    name: 'generic',
    verify(req, raw) {
      const headers: Record<string, string> = {};
      for (const name of HEADERS) headers[name] = req.get(name) ?? '';
      try {
        webhook.verify(raw, headers, { jsonParse: false });
      } catch (error) {
        if (error instanceof WebhookVerificationError) throw badSignature(`The Standard Webhooks signature did not verify (${error.message}): the request is unsigned, forged or more than 5 minutes old.`);
        throw error;
      }
    },
    read(req: Request, raw: Buffer): ReceivedEvent[] {
      const id = parseInput(eventId, req.get('webhook-id'), 'The webhook-id header');
      const json = parseJson(raw);
      const { type } = parseInput(envelope, json, 'The event');
      const read = readers.get(type);
      return [{ eventId: id, type, action: read ? read(json) : { kind: 'ignore', reason: `the hub does not handle ${type} events` } }];
    },
  };
}
