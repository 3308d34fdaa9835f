import { z } from 'zod';
import { WEBHOOK_DELIVERY_STATUSES } from '../../../../core/model/types';

/** Response shapes of /api/v1/webhooks, for the OpenAPI document; the handlers build them in ../endpoints and ../delivery-log. */
const timestamp = z.iso.datetime();

export const endpointView = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()).describe('The event types sent to it, or ["*"] for all'),
  enabled: z.boolean(),
  previousSecretExpiresAt: timestamp.nullable().describe('After a rotation: until when the previous secret still signs beside the new one'),
  failingSince: timestamp.nullable().describe('When its deliveries started failing with no success since'),
  disabledAt: timestamp.nullable(),
  disabledReason: z.string().nullable().describe('Why the hub turned it off (410 Gone, failing for WEBHOOK_DISABLE_AFTER_DAYS); null when an admin did'),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const endpointWithSecretView = endpointView.extend({
  secret: z.string().describe('The signing secret (whsec_…): shown only now, keep it to verify webhook-signature'),
});

export const attemptView = z.object({
  at: timestamp,
  statusCode: z.number().nullable().describe("The receiver's status; null when no answer came (network error, timeout, refused address)"),
  latencyMs: z.number(),
  response: z.string().describe('The first 1 KB of the answer, or what went wrong'),
});

export const deliveryView = z.object({
  id: z.string(),
  eventId: z.string().describe('The webhook-id header of every try and redelivery'),
  eventType: z.string(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  attemptCount: z.number(),
  attempts: z.array(attemptView),
  nextAttemptAt: timestamp.nullable(),
  createdAt: timestamp,
  finishedAt: timestamp.nullable(),
});
