import { z } from 'zod';

/**
 * What an event asks of the hub once its provider's format is read: the same few changes whichever CRM
 * sent it. Stored with the event and read back by the job that applies it.
 */

const ref = {
  externalId: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
};

const contactData = z.object({
  externalId: z.string().optional(),
  email: z.string().nullable().optional(),
  phone: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  nameParts: z.object({ first: z.string().nullable().optional(), last: z.string().nullable().optional() }).optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
});

/** `system`: whose external ids the event's `externalId` are (`crm` for the generic webhook). */
export const crmActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('upsert'), system: z.string(), contact: contactData }),
  z.object({ kind: z.literal('delete'), system: z.string(), ref: z.object(ref) }),
  z.object({ kind: z.literal('note'), system: z.string(), ref: z.object(ref), body: z.string() }),
  z.object({ kind: z.literal('send'), system: z.string(), ref: z.object(ref), channel: z.string(), body: z.string() }),
]);
export type CrmAction = z.infer<typeof crmActionSchema>;

/** An event the hub takes but does nothing with (a type or a property it does not sync), and why. */
export interface IgnoredAction {
  kind: 'ignore';
  reason: string;
}

/** One event of a verified request, read: its id (for idempotency), its type as the CRM named it, and what it asks. */
export interface ReceivedEvent {
  eventId: string;
  type: string;
  action: CrmAction | IgnoredAction;
}
