import { PermanentDeliveryError, RetryableDeliveryError } from '../../core/errors';
import type { ChannelAdapter, OutboundDelivery, SendContext, SendReceipt } from '../../core/ports/channel-adapter';
import { RestException, type TwilioClient } from './twilio-client';

export const SMS_CHANNEL = 'sms';

export interface SmsSenderOptions {
  client: TwilioClient;
  publicUrl: string;
  /** Sends from this number when a conversation has no business number of its own. */
  defaultNumber?: string;
  /** A short-lived link Twilio can fetch a stored attachment from. */
  fileUrl: (fileKey: string) => string;
}

/** Where Twilio posts the receipts of one message; the hub's own message id rides along in the URL. */
export function statusCallbackUrl(publicUrl: string, messageId: string): string {
  return `${publicUrl}/webhooks/twilio/status?messageId=${encodeURIComponent(messageId)}`;
}

/**
 * Twilio's errors for a message that can never be sent as it is (bad or unsubscribed number, region not
 * enabled, ...) are 4xx answers with a code: the message fails at once with Twilio's code and words.
 * Retryable answers (network, 429, 5xx) were already turned into retryable errors by the client.
 */
function deliveryError(error: unknown): Error {
  if (error instanceof PermanentDeliveryError || error instanceof RetryableDeliveryError) return error;
  if (error instanceof RestException) {
    return new PermanentDeliveryError(error.message, error.code === undefined ? `http_${error.status}` : String(error.code));
  }
  return new RetryableDeliveryError(error instanceof Error ? error.message : String(error));
}

/** Sends agents' replies as SMS/MMS through Twilio's Messages API. */
export class TwilioSmsAdapter implements ChannelAdapter {
  readonly channel = SMS_CHANNEL;
  // Twilio refuses longer bodies (error 21617); it splits shorter ones into segments itself.
  readonly capabilities = { attachments: true, maxTextLength: 1600, receipts: 'push', threads: false, addresses: 'phone' } as const;

  constructor(private readonly options: SmsSenderOptions) {}

  async send({ message, conversation, identity }: OutboundDelivery, { signal }: SendContext): Promise<SendReceipt> {
    const from = conversation.channelAddress ?? this.options.defaultNumber;
    if (!from) throw new PermanentDeliveryError('No Twilio number to send from: set TWILIO_NUMBERS or add one at /api/v1/sms-numbers', 'no_sms_number');
    const mediaUrl = message.attachments.map((attachment) => (attachment.fileKey ? this.options.fileUrl(attachment.fileKey) : attachment.url));
    signal.throwIfAborted();
    try {
      // Long texts go as one message: Twilio splits them into segments and the handset joins them again.
      const sent = await abortable(
        this.options.client.messages.create({
          from,
          to: identity.address,
          ...(message.body ? { body: message.body } : {}),
          ...(mediaUrl.length > 0 ? { mediaUrl } : {}),
          statusCallback: statusCallbackUrl(this.options.publicUrl, message.id),
        }),
        signal,
      );
      return { externalId: sent.sid, status: 'sent', metadata: { segments: Number(sent.numSegments) } };
    } catch (error) {
      throw deliveryError(error);
    }
  }
}

/** The SDK takes no AbortSignal; the delivery's deadline still ends the wait (the request times out on its own). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new RetryableDeliveryError('Twilio did not answer in time'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
