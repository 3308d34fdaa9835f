import { z } from 'zod';
import { EVENT_TYPES } from '../../../../core/events';
import { storedText } from '../../../../http/inputs';

/** Request fields of /api/v1/webhooks. */

export const webhookUrlInput = z.url({ protocol: /^https?$/ }).max(2048).describe('Where the events are POSTed: http or https, not a private address unless WEBHOOK_ALLOW_PRIVATE_URLS');

const eventTypeInput = z.enum(EVENT_TYPES);

/** A list of event types, each once, or `["*"]` alone for every type (also those added later). */
export const webhookEventsInput = z
  .array(z.union([z.literal('*'), eventTypeInput]))
  .min(1)
  .max(EVENT_TYPES.length + 1)
  .describe(`Event types to send (${EVENT_TYPES.join(', ')}), or ["*"] for all`)
  .superRefine((events, ctx) => {
    if (events.includes('*') && events.length > 1) ctx.addIssue({ code: 'custom', message: 'lists "*" alone: it already means every event type' });
  })
  .transform((events) => [...new Set(events)]);

export const webhookDescriptionInput = storedText().trim().max(500).nullable().optional().describe('What it is for, for admins');
