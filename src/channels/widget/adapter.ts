import type { ChannelAdapter, OutboundDelivery, SendReceipt } from '../../core/ports/channel-adapter';
import { WIDGET_CHANNEL } from './name';

/**
 * Replies to widget visitors need no sending: the message is in the database and its event on the bus,
 * which carries it to the visitor's socket on whichever process holds it (or the widget reads it from
 * history when it comes back). The widget knows the message by the hub's own id, so that is its
 * external id, and the widget's `received` and `read` receipts move it on.
 */
export class WidgetDeliveryAdapter implements ChannelAdapter {
  readonly channel = WIDGET_CHANNEL;
  // The visitor's browser sends `received` and `read` receipts over the socket.
  readonly capabilities = { attachments: true, receipts: 'push', threads: false } as const;

  send(delivery: OutboundDelivery): Promise<SendReceipt> {
    return Promise.resolve({ status: 'sent', externalId: delivery.message.id });
  }
}
