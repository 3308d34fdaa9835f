import type { Ingestor, InboundMessage, IngestResult } from './ingest';
import type { ChannelName, Message } from './model/types';
import type { DeliveryReceipts, ReportedBy, StatusChange } from './messages/receipts';

/** A customer's message, normalized by its channel. */
export interface InboundMessageEvent {
  kind: 'message';
  message: InboundMessage;
}

/**
 * What the provider says happened to one of our outbound messages. The channel names the message by the
 * hub's id when the receipt carries it (a callback URL), else by the provider's id on the channel.
 */
export interface InboundReceiptEvent {
  kind: 'receipt';
  channel: ChannelName;
  messageId?: string;
  externalId?: string;
  change: StatusChange;
  reportedBy?: ReportedBy;
}

/** A request the channel verified and acknowledges, but that asks nothing of the hub (a typing ping, a bot's echo). */
export interface InboundIgnoredEvent {
  kind: 'ignored';
  channel: ChannelName;
  reason: string;
}

/** Everything a channel hands core after verifying a request: core decides what each one does. */
export type InboundEvent = InboundMessageEvent | InboundReceiptEvent | InboundIgnoredEvent;

export type MessageOutcome = { kind: 'message' } & IngestResult;
/** The message as the receipt left it; undefined when the hub knows no such message. */
export interface ReceiptOutcome {
  kind: 'receipt';
  message: Message | undefined;
}
export interface IgnoredOutcome {
  kind: 'ignored';
}
export type InboundOutcome = MessageOutcome | ReceiptOutcome | IgnoredOutcome;

/**
 * The one door of core for what channels receive: messages are ingested (idempotent on the channel's
 * message id), receipts move delivery statuses (never backwards), ignored events change nothing.
 */
export class Inbound {
  constructor(private readonly deps: { ingestor: Ingestor; receipts: DeliveryReceipts }) {}

  accept(event: InboundMessageEvent): Promise<MessageOutcome>;
  accept(event: InboundReceiptEvent): Promise<ReceiptOutcome>;
  accept(event: InboundIgnoredEvent): Promise<IgnoredOutcome>;
  accept(event: InboundEvent): Promise<InboundOutcome>;
  async accept(event: InboundEvent): Promise<InboundOutcome> {
    switch (event.kind) {
      case 'message':
        return { kind: 'message', ...(await this.deps.ingestor.ingest(event.message)) };
      case 'receipt':
        return { kind: 'receipt', message: await this.receipt(event) };
      case 'ignored':
        return { kind: 'ignored' };
    }
  }

  private async receipt(event: InboundReceiptEvent): Promise<Message | undefined> {
    const { receipts } = this.deps;
    const messageId = event.messageId ?? (event.externalId === undefined ? undefined : (await receipts.findByExternalId(event.channel, event.externalId))?.id);
    return messageId === undefined ? undefined : receipts.applyStatus(messageId, event.change, event.reportedBy);
  }
}
