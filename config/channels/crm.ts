import { z } from 'zod';
import { boolean, channelSection, integer, setting } from '../setting';

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A comma list of durations like `5s,5m,2h` (units ms, s, m, h), as milliseconds; at most 10 h each. */
const durationList = z
  .string()
  .regex(/^\s*\d+(ms|s|m|h)\s*(,\s*\d+(ms|s|m|h)\s*)*$/, 'expected durations like 5s,5m,30m,2h')
  .transform((value) => value.split(',').map((part) => {
    const [, amount = '0', unit = 'ms'] = /^(\d+)(ms|s|m|h)$/.exec(part.trim()) ?? [];
    return Number(amount) * (DURATION_UNITS_MS[unit] ?? 1);
  }))
  .pipe(z.array(z.number().min(1).max(10 * 3_600_000)).min(1).max(20));

/**
 * CRM sync: always on for outgoing webhooks (endpoints are added through the API); each inbound
 * provider's route answers only once its secret is set.
 */
export const crmSection = channelSection({
  channel: 'crm',
  turnsOn: [],
  settings: {
    webhookSecretOverlapHours: setting({
      env: 'WEBHOOK_SECRET_OVERLAP_HOURS',
      description: "After an endpoint's secret is rotated, how long the old secret keeps signing beside the new one.",
      schema: integer(0, 24 * 30),
      default: '24',
    }),
    webhookDisableAfterDays: setting({
      env: 'WEBHOOK_DISABLE_AFTER_DAYS',
      description: 'An endpoint whose every delivery failed for this many days is disabled (and admins are told).',
      schema: integer(1, 90),
      default: '5',
    }),
    webhookLogRetentionDays: setting({
      env: 'WEBHOOK_LOG_RETENTION_DAYS',
      description: 'How long finished webhook deliveries stay in the delivery log, and settled inbound CRM events in their record (checked hourly).',
      schema: integer(1, 365),
      default: '30',
    }),
    webhookAllowPrivateUrls: setting({
      env: 'WEBHOOK_ALLOW_PRIVATE_URLS',
      description: 'Allow endpoints on loopback, private and link-local addresses (a receiver on the same host or network). Off: refused at creation and at connect time.',
      schema: boolean,
      default: 'false',
    }),
    webhookTimeoutMs: setting({
      env: 'WEBHOOK_TIMEOUT_MS',
      description: "How long one delivery waits for the receiver's answer.",
      schema: integer(100, 60_000),
      default: '15000',
    }),
    webhookRetrySchedule: setting({
      env: 'WEBHOOK_RETRY_SCHEDULE',
      description: 'How long a failed delivery waits before each retry (ms, s, m, h; jittered by ±10%); after the last, it has failed.',
      schema: durationList,
      default: '5s,5m,30m,2h,5h,10h,10h',
    }),
    crmWebhookSecret: setting({
      env: 'CRM_WEBHOOK_SECRET',
      description: 'Standard Webhooks secret (whsec_ followed by base64) that POST /webhooks/crm/generic is verified with. Unset: that route answers 404.',
      schema: z.string().regex(/^(whsec_)?[A-Za-z0-9+/]{16,}={0,2}$/, 'expected whsec_ followed by base64').optional(),
      secret: true,
    }),
    hubspotClientSecret: setting({
      env: 'HUBSPOT_CLIENT_SECRET',
      description: "The HubSpot app's client secret, that POST /webhooks/crm/hubspot is verified with (X-HubSpot-Signature-v3). Unset: that route answers 404.",
      schema: z.string().min(8).optional(),
      secret: true,
    }),
  },
});
