import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { toE164 } from '../../../core/phone';
import { emailInput, storedText } from '../../../http/inputs';
import { parseInput } from '../../../http/validation';
import type { CrmAction, IgnoredAction, ReceivedEvent } from './actions';
import { badSignature, parseJson } from './json';
import type { InboundProvider } from './provider';

/** The external ids of HubSpot's events (its contacts' object ids) are of this system. */
export const HUBSPOT_SYSTEM = 'hubspot';

export interface HubSpotOptions {
  /** The app's client secret (HUBSPOT_CLIENT_SECRET). */
  clientSecret: string;
  /** PUBLIC_URL: HubSpot signs the URL it called, not the one the hub sees behind a proxy. */
  publicUrl: string;
  defaultPhoneRegion: string | undefined;
}

/** HubSpot's own limit: a request whose timestamp is older than this is refused, so a captured one cannot be replayed. */
const MAX_AGE_MS = 5 * 60_000;
const NAME_PART_MAX = 100;

/** The escapes HubSpot decodes in the URI before signing it (its v3 documentation's table). */
const DECODED: Readonly<Record<string, string>> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

function signedUri(publicUrl: string, originalUrl: string): string {
  return publicUrl.replace(/\/+$/, '') + originalUrl.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (escape) => DECODED[escape.toUpperCase()] ?? escape);
}

/** Signature v3: base64 of HMAC-SHA256 with the client secret over method, full URI, raw body and the timestamp header. */
export function hubSpotSignature(clientSecret: string, method: string, uri: string, raw: Buffer, timestamp: string): string {
  return createHmac('sha256', clientSecret).update(Buffer.concat([Buffer.from(method + uri, 'utf8'), raw, Buffer.from(timestamp, 'utf8')])).digest('base64');
}

const id = z.union([z.int().nonnegative(), z.string().regex(/^\d{1,20}$/)]).transform(String);

/** One event of HubSpot's batch; fields the hub does not read are let through. */
const hubSpotEvent = z.looseObject({
  eventId: id,
  portalId: id.optional(),
  subscriptionType: storedText().min(1).max(64),
  objectId: id.optional(),
  propertyName: storedText().max(200).optional(),
  propertyValue: z.unknown().optional(),
});
type HubSpotEvent = z.output<typeof hubSpotEvent>;

const batch = z.array(hubSpotEvent).min(1).max(1000);

const ignore = (reason: string): IgnoredAction => ({ kind: 'ignore', reason });

/** A property's new value: HubSpot sends an empty string for a cleared one. */
function valueOf(event: HubSpotEvent): string | null {
  const value = event.propertyValue;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return null;
  const text = String(value).trim();
  return text === '' || text.includes('\u0000') ? null : text;
}

function propertyChange(event: HubSpotEvent, externalId: string, defaultPhoneRegion: string | undefined): CrmAction | IgnoredAction {
  const upsert = (contact: Extract<CrmAction, { kind: 'upsert' }>['contact']): CrmAction => ({ kind: 'upsert', system: HUBSPOT_SYSTEM, contact: { externalId, ...contact } });
  const value = valueOf(event);
  switch (event.propertyName) {
    case 'email': {
      if (value === null) return upsert({ email: null });
      const email = emailInput.safeParse(value);
      return email.success ? upsert({ email: email.data }) : ignore('the new email is not a valid address');
    }
    case 'phone': {
      if (value === null) return upsert({ phone: null });
      const phone = toE164(value, defaultPhoneRegion);
      return phone ? upsert({ phone }) : ignore('the new phone is not a valid number (international format, or DEFAULT_PHONE_REGION)');
    }
    case 'firstname':
      return upsert({ nameParts: { first: value?.slice(0, NAME_PART_MAX) ?? null } });
    case 'lastname':
      return upsert({ nameParts: { last: value?.slice(0, NAME_PART_MAX) ?? null } });
    default:
      return ignore(`the property ${event.propertyName ?? '(none)'} is not synced`);
  }
}

function actionOf(event: HubSpotEvent, defaultPhoneRegion: string | undefined): CrmAction | IgnoredAction {
  const known = ['contact.creation', 'contact.propertyChange', 'contact.deletion'];
  if (!known.includes(event.subscriptionType)) return ignore(`the hub does not handle ${event.subscriptionType} events`);
  if (event.objectId === undefined) return ignore(`a ${event.subscriptionType} event without an objectId`);
  const externalId = event.objectId;
  if (event.subscriptionType === 'contact.creation') return { kind: 'upsert', system: HUBSPOT_SYSTEM, contact: { externalId } };
  if (event.subscriptionType === 'contact.deletion') return { kind: 'delete', system: HUBSPOT_SYSTEM, ref: { externalId } };
  return propertyChange(event, externalId, defaultPhoneRegion);
}

/**
 * `POST /webhooks/crm/hubspot`: a HubSpot app's webhook subscriptions. Each request is a JSON array of
 * events (batched), signed with X-HubSpot-Signature-v3; an event's id is its portal and `eventId`.
 */
export function hubSpotProvider(options: HubSpotOptions): InboundProvider {
  return {
    name: 'hubspot',
    verify(req: Request, raw: Buffer) {
      const signature = req.get('x-hubspot-signature-v3');
      const timestamp = req.get('x-hubspot-request-timestamp');
      if (!signature || !timestamp) throw badSignature('The request has no X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp.');
      const at = Number(timestamp);
      if (!/^\d{1,16}$/.test(timestamp) || Math.abs(Date.now() - at) > MAX_AGE_MS) throw badSignature('X-HubSpot-Request-Timestamp is more than 5 minutes off: a stale or replayed request.');
      const expected = Buffer.from(hubSpotSignature(options.clientSecret, req.method, signedUri(options.publicUrl, req.originalUrl), raw, timestamp), 'utf8');
      const given = Buffer.from(signature, 'utf8');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw badSignature('X-HubSpot-Signature-v3 does not match this request, HUBSPOT_CLIENT_SECRET and PUBLIC_URL.');
    },
    read(_req, raw): ReceivedEvent[] {
      const events = parseInput(batch, parseJson(raw), 'The HubSpot events');
      return events.map((event) => ({
        eventId: event.portalId === undefined ? event.eventId : `${event.portalId}:${event.eventId}`,
        type: event.subscriptionType,
        action: actionOf(event, options.defaultPhoneRegion),
      }));
    },
  };
}
