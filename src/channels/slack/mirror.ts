import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { getAgent } from '../../core/agents/agents';
import { getTeam } from '../../core/agents/teams';
import { getConversation } from '../../core/conversations/list';
import type { Database } from '../../core/database';
import { listMessages } from '../../core/messages/list';
import { recentPageViews } from '../../core/page-views/list';
import { websiteOfConversation } from '../../core/websites/websites';
import { RetryableDeliveryError } from '../../core/errors';
import { MirrorRecords, type FilesToCopy } from '../../core/mirrors';
import type { FileStorage } from '../../core/ports/file-storage';
import type { ConversationMirror } from '../../core/ports/mirror';
import type { Json } from '../../core/serialize';
import type { Message } from '../../core/model/types';
import { isSetupError, slackError } from './client';
import { headerMessage, STATUS_REACTIONS, threadLine, type HeaderFacts } from './format';
import { SLACK_TARGET } from './name';

export { SLACK_TARGET };
const PAGE = 50;
/** How many of a web chat visitor's last pages the header lists. */
const HEADER_PAGES = 3;

export interface SlackMirrorOptions {
  db: Database;
  client: WebClient;
  defaultChannel: string;
  /** Where attachments' bytes are, to upload them into the thread. */
  storage: FileStorage;
  /** Told whether Slack works: a setup error (revoked token, archived channel), or fine again; true when that changed. */
  health: (problem: string | undefined) => Promise<boolean>;
  logger: Logger;
}

/**
 * Keeps each conversation's Slack thread in step: a header message in the team's channel (updated when
 * status, assignee or team change), then every message of the conversation in order, then the delivery
 * status of each reply as a reaction. Each step records its progress, so a sync that failed halfway
 * resumes where it stopped; one sync per conversation runs at a time (the workers hold a lock).
 */
export class SlackMirror implements ConversationMirror {
  readonly target = SLACK_TARGET;
  private readonly records: MirrorRecords;

  constructor(private readonly options: SlackMirrorOptions) {
    this.records = new MirrorRecords(options.db, SLACK_TARGET);
  }

  /**
   * A setup error (revoked token, archived channel) is retried like any failure, with backoff: once
   * someone fixes the app in Slack, the threads catch up and nothing is lost. It is logged once, when
   * Slack starts refusing, and shown in /readyz until a call succeeds again.
   */
  async sync(conversationId: string): Promise<void> {
    try {
      await this.syncThread(conversationId);
      await this.options.health(undefined);
    } catch (error) {
      const mapped = slackError(error);
      if (!isSetupError(mapped)) throw mapped;
      if (await this.options.health(mapped.code)) {
        this.options.logger.error({ conversationId, slackError: mapped.code }, `Slack refused the hub's call (${mapped.code ?? ''}): check SLACK_BOT_TOKEN, the app's scopes and that the bot is in the channel`);
      }
      throw new RetryableDeliveryError(mapped.message);
    }
  }

  private async syncThread(conversationId: string): Promise<void> {
    const { db, client } = this.options;
    const facts = await this.headerFacts(conversationId);
    const header = headerMessage(facts.header);
    const state = createHash('sha256').update(JSON.stringify(header)).digest('hex');

    let copy = await this.records.copyOf(conversationId);
    if (!copy) {
      const posted = await client.chat.postMessage({ channel: facts.channel, text: header.text, blocks: header.blocks as never, unfurl_links: false, unfurl_media: false });
      copy = await this.records.created(conversationId, posted.channel ?? facts.channel, posted.ts ?? '', state);
    } else if (copy.headerState !== state) {
      await client.chat.update({ channel: copy.location, ts: copy.threadRef, text: header.text, blocks: header.blocks as never });
      await this.records.headerShown(conversationId, state);
    }

    for (let after = copy.cursorId ?? undefined; ; ) {
      const page = await listMessages(db, conversationId, { after, limit: PAGE });
      for (const message of page.items) {
        await this.copyMessage(copy.location, copy.threadRef, conversationId, message, facts.header.contactName);
        after = message.id;
      }
      if (!page.hasMore) break;
    }
    for (const copied of await this.records.filesToCopy(conversationId)) {
      await this.uploadFiles(copy.location, copy.threadRef, conversationId, copied);
    }

    for (const shown of await this.records.statusesToShow(conversationId)) {
      const reaction = STATUS_REACTIONS[shown.deliveryStatus];
      if (reaction) await this.react(copy.location, shown.ref, reaction);
      if ((shown.deliveryStatus === 'failed' || shown.deliveryStatus === 'undelivered') && shown.failureReason) {
        await client.chat.postMessage({ channel: copy.location, thread_ts: copy.threadRef, text: `:x: Not delivered: ${shown.failureReason}`, unfurl_links: false });
      }
      await this.records.statusShown(shown.messageId, shown.deliveryStatus);
    }
  }

  private async copyMessage(channel: string, threadTs: string, conversationId: string, message: Json<Message>, contactName: string): Promise<void> {
    const createdAt = new Date(message.createdAt);
    // A reply an agent wrote in this thread is there already; only its delivery status is to show.
    if (typeof message.metadata.slackTs === 'string' || (await this.records.isCopied(message.id))) {
      await this.records.messageCopied(conversationId, { id: message.id, createdAt }, undefined, null);
      return;
    }
    const sender = await this.senderName(message, contactName);
    const posted = await this.options.client.chat.postMessage({
      channel,
      thread_ts: threadTs,
      text: threadLine(sender, message.body, message.attachments, message.private),
      unfurl_links: false,
      unfurl_media: false,
    });
    await this.records.messageCopied(conversationId, { id: message.id, createdAt }, posted.ts ?? '', null);
    const pending = message.attachments.filter((attachment) => attachment.fileKey !== undefined);
    await this.uploadFiles(channel, threadTs, conversationId, { messageId: message.id, copiedFiles: [], pending });
  }

  /**
   * Files in the hub's storage go up as Slack files, so agents see previews without an API key. Each is
   * recorded once up, so a sync that failed halfway, or media that came after the text, uploads the rest
   * and nothing twice.
   */
  private async uploadFiles(channel: string, threadTs: string, conversationId: string, files: FilesToCopy): Promise<void> {
    const copiedFiles = [...files.copiedFiles];
    for (const attachment of files.pending) {
      if (!attachment.fileKey) continue;
      const file = await this.options.storage.open(attachment.fileKey);
      if (file) {
        const bytes = await buffer(file.stream);
        await this.options.client.filesUploadV2({ channel_id: channel, thread_ts: threadTs, file: bytes, filename: file.meta.name, title: file.meta.name });
      } else {
        this.options.logger.warn({ conversationId, fileKey: attachment.fileKey }, 'an attachment is no longer in the file storage; not uploaded to Slack');
      }
      copiedFiles.push(attachment.fileKey);
      await this.records.filesCopied(files.messageId, copiedFiles);
    }
  }

  private async react(channel: string, ts: string, name: string): Promise<void> {
    try {
      await this.options.client.reactions.add({ channel, timestamp: ts, name });
    } catch (error) {
      // A retried sync adds the same reaction again; Slack says so, and that is fine.
      if ((error as { data?: { error?: string } }).data?.error !== 'already_reacted') throw error;
    }
  }

  private async senderName(message: Json<Message>, contactName: string): Promise<string> {
    if (message.senderKind === 'contact') return contactName;
    if (message.senderKind === 'bot') return 'Bot';
    if (message.senderKind === 'system') return 'Switchboard';
    if (!message.senderId) return 'Agent (API)';
    // Read each time rather than cached, so a renamed agent shows with their new name.
    return (await getAgent(this.options.db, message.senderId)).name;
  }

  private async headerFacts(conversationId: string): Promise<{ header: HeaderFacts; channel: string }> {
    const conversation = await getConversation(this.options.db, conversationId);
    const team = conversation.teamId ? await getTeam(this.options.db, conversation.teamId) : undefined;
    const contactAddress = conversation.contact.email ?? conversation.contact.phone;
    // A web chat conversation's pages seen on its website, as of this sync. They are part of the header's
    // digest, so a sync after the visitor moved on updates the header.
    const websiteId = await websiteOfConversation(this.options.db, conversation);
    const pages = websiteId ? await recentPageViews(this.options.db, conversation.contactId, websiteId, HEADER_PAGES) : [];
    return {
      header: {
        conversationId,
        contactName: conversation.contact.name ?? contactAddress ?? 'Visitor',
        contactAddress: conversation.contact.name ? contactAddress : null,
        channel: conversation.channel,
        status: conversation.status,
        assignee: conversation.assignee?.name ?? null,
        team: team?.name ?? null,
        subject: conversation.subject,
        lastPages: pages.map((page) => page.title?.trim() || page.url),
      },
      channel: team?.locations[SLACK_TARGET] ?? this.options.defaultChannel,
    };
  }
}
