import type { StatusChange } from '../../core/messages/receipts';
import type { TwilioStatus } from './inbound';

/** What Twilio's delivery error codes mean, in words an agent can act on. */
const ERROR_TEXT: Readonly<Record<string, string>> = {
  '21211': 'Invalid To phone number',
  '21408': 'Permission to send an SMS has not been enabled for the region',
  '21610': 'The recipient unsubscribed (replied STOP)',
  '21614': 'The To number is not a mobile number',
  '30003': 'Unreachable destination handset',
  '30004': 'Message blocked',
  '30005': 'Unknown destination handset',
  '30006': 'Landline or unreachable carrier',
  '30007': 'Filtered by the carrier',
  '30008': 'Unknown error',
};

export function twilioErrorReason(code: string | undefined, fallback: string): string {
  return code === undefined ? fallback : `${code}: ${ERROR_TEXT[code] ?? fallback}`;
}

/**
 * What a Twilio status callback means for the hub's message. Twilio's interim statuses (queued,
 * sending, ...) say nothing the hub does not know; they change nothing.
 */
export function statusChangeOf(status: TwilioStatus): StatusChange | undefined {
  const externalId = status.MessageSid;
  switch (status.MessageStatus) {
    case 'sent':
      return { status: 'sent', externalId };
    case 'delivered':
      return { status: 'delivered', externalId };
    case 'read':
      return { status: 'read', externalId };
    case 'undelivered':
      return { status: 'undelivered', externalId, reason: twilioErrorReason(status.ErrorCode, 'The carrier could not deliver the message') };
    case 'failed':
      return { status: 'failed', externalId, reason: twilioErrorReason(status.ErrorCode, 'Twilio could not send the message') };
    case 'canceled':
      return { status: 'failed', externalId, reason: 'Canceled at Twilio' };
    default:
      return undefined;
  }
}
