import type { Database } from '../../core/database';
import { ValidationError } from '../../core/errors';
import { attachmentOf } from '../../core/files/uploads';
import type { Inbound } from '../../core/inbound';
import type { Outbox } from '../../core/outbox';
import { repo } from '../../core/model/schemas';
import type { Attachment, Message } from '../../core/model/types';
import type { FileStorage } from '../../core/ports/file-storage';
import type { RateLimits } from '../../core/ports/rate-limits';
import { toJson } from '../../core/serialize';
import { saveVisitorProfile, type VisitorProfile } from '../../core/visitors/profile';
import { openConversationOf, type Visitor } from '../../core/visitors/visitors';
import { WIDGET_CHANNEL } from './name';
import type { WidgetMessage } from './protocol';
import type { WidgetViews } from './views';

export interface VisitorMessageInput {
  /** The widget's own id of the message: sending it again returns the stored one. */
  clientId: string;
  body: string;
  /** Files the visitor uploaded with POST /widget/v1/uploads. */
  fileKeys: string[];
  metadata: Record<string, unknown>;
  /** What the visitor said about themselves with the message (the offline form), applied once the message is accepted. */
  profile?: VisitorProfile;
}

export interface SentMessage {
  message: WidgetMessage;
  /** False when the clientId had been sent before: nothing new was stored. */
  created: boolean;
}

export interface VisitorMessagesDeps {
  db: Database;
  outbox: Outbox;
  inbound: Inbound;
  storage: FileStorage;
  rateLimits: RateLimits;
  views: WidgetViews;
  publicUrl: string;
}

/** A visitor's messages into the hub: once per clientId, within the rate limits, through core's one ingest path. */
export class VisitorMessages {
  constructor(private readonly deps: VisitorMessagesDeps) {}

  async send(visitor: Visitor, input: VisitorMessageInput, ip: string): Promise<SentMessage> {
    const { db, inbound, rateLimits, views } = this.deps;
    // Unique per browser identity, whichever user it is: the widget's retries come from the same browser.
    const externalId = `${visitor.identity.id}:${input.clientId}`;
    const [earlier, open] = await Promise.all([this.stored(externalId), openConversationOf(db, visitor)]);
    // A retry of a message already stored costs no rate-limit points: it stores nothing.
    if (earlier) return { message: await views.message(toJson(earlier)), created: false };

    const attachments = await this.attachments(input.fileKeys);
    const opensConversation = open === null;
    await rateLimits.take(opensConversation ? ['messages', 'conversations'] : ['messages'], { visitorId: visitor.identity.id, ip });
    const profile = input.profile;
    if (profile) await saveVisitorProfile(this.deps, visitor.contactId, profile);

    const result = await inbound.accept({
      kind: 'message',
      message: {
        channel: WIDGET_CHANNEL,
        externalId,
        sender: { address: visitor.sender.address },
        body: input.body,
        attachments,
        metadata: { ...input.metadata, clientId: input.clientId },
        channelAddress: visitor.website.id,
      },
    });
    const message = result.message ?? (await repo(db.manager, 'Message').findOneByOrFail({ id: result.messageId }));
    return { message: await views.message(toJson(message)), created: !result.duplicate };
  }

  private async stored(externalId: string): Promise<Message | null> {
    return repo(this.deps.db.manager, 'Message').findOneBy({ channel: WIDGET_CHANNEL, direction: 'inbound', externalId });
  }

  /** The attachments of uploaded files, as agents get them; an unknown key is a 400 naming it. */
  private async attachments(fileKeys: readonly string[]): Promise<Attachment[]> {
    const files = await Promise.all(fileKeys.map((fileKey) => this.deps.storage.describe(fileKey)));
    const attachments: Attachment[] = [];
    const unknown: { path: string; message: string; code: string }[] = [];
    fileKeys.forEach((fileKey, index) => {
      const file = files[index];
      if (file) attachments.push(attachmentOf({ fileKey, contentType: file.contentType, name: file.name, size: file.size }, this.deps.publicUrl));
      else unknown.push({ path: `attachments.${index}.fileKey`, message: 'is not an uploaded file', code: 'unknown_file' });
    });
    if (unknown.length > 0) throw new ValidationError(`Request body is invalid: ${unknown.map((d) => `${d.path}: ${d.message}`).join('; ')}`, unknown);
    return attachments;
  }
}
