import type { ChannelAdapter, SendReceipt } from '../../core/ports/channel-adapter';
import { WIDGET_CHANNEL } from '../../core/websites/websites';

/**
 * Replies to widget visitors need no sending: the message is in the database and its event on the bus,
 * which carries it to the visitor's socket on whichever process holds it (or the widget reads it from
 * history when it comes back). The widget's own receipts move it on to delivered and read.
 */
export class WidgetDeliveryAdapter implements ChannelAdapter {
  readonly channel = WIDGET_CHANNEL;

  send(): Promise<SendReceipt> {
    return Promise.resolve({ status: 'sent' });
  }
}
