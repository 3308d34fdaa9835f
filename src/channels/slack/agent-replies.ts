import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Actor } from '../../core/actor';
import type { ChannelCatalog } from '../../core/channels/catalog';
import type { Database } from '../../core/database';
import { requestHash, type IdempotentRequest } from '../../core/idempotency';
import type { Message } from '../../core/model/types';
import { postReply } from '../../core/messages/replies';
import { MirrorRecords } from '../../core/mirrors';
import type { Outbox } from '../../core/outbox';
import type { SlackAgents } from './agents';
import { ConflictError, PermanentDeliveryError, ValidationError } from '../../core/errors';
import { notAnAgent } from './agents';
import { jobError, tellPrivately } from './client';
import { plainText } from './format';
import { SLACK_TARGET } from './mirror';

/** A `message` event, reduced to what answering from a thread needs; also the payload of its queued job. */
export const threadMessageSchema = z.object({
  channel: z.string(),
  ts: z.string(),
  threadTs: z.string().optional(),
  user: z.string().optional(),
  text: z.string(),
  subtype: z.string().optional(),
  botId: z.string().optional(),
});
export type ThreadMessage = z.infer<typeof threadMessageSchema>;

export interface AgentRepliesOptions {
  db: Database;
  outbox: Outbox;
  catalog: ChannelCatalog;
  client: WebClient;
  agents: SlackAgents;
  /** A message starting with this (any case) is a private note. */
  notePrefix: string;
  logger: Logger;
}

/** The pseudo API key of idempotency records for replies written in Slack (keyed by channel and ts). */
const SLACK_IDEMPOTENCY_KEY = 'slack';

/** Subtypes that are a person writing: a plain message, and one also sent to the channel. */
const PERSON_SUBTYPES = new Set([undefined, 'thread_broadcast']);

/** A person's new message inside a thread: the only messages that can be a reply (checked before queueing one). */
export function isThreadReply(message: ThreadMessage): message is ThreadMessage & { user: string; threadTs: string } {
  if (!PERSON_SUBTYPES.has(message.subtype) || message.botId !== undefined || !message.user) return false;
  return message.threadTs !== undefined && message.threadTs !== message.ts;
}

/**
 * An agent's message in a conversation's Slack thread becomes their reply to the customer (or, with
 * the note prefix, a private note), through the same `postReply` as the REST API, so the delivery
 * jobs send it on the customer's channel. Slack's redeliveries of one message (same channel and ts)
 * store nothing new. Bots (this hub included), edits, deletions, joins and the header are ignored.
 */
export class SlackAgentReplies {
  private readonly records: MirrorRecords;

  constructor(private readonly options: AgentRepliesOptions) {
    this.records = new MirrorRecords(options.db, SLACK_TARGET);
  }

  /**
   * Runs in a worker job. A refusal is told to the agent in Slack; a failure is logged with the
   * conversation and thrown (as a job error) to be retried, and the agent is told once no retry follows.
   */
  async handle(message: ThreadMessage, lastAttempt = true): Promise<void> {
    if (!isThreadReply(message)) return;
    let conversationId: string | undefined;
    try {
      conversationId = await this.records.conversationOfThread(message.channel, message.threadTs);
      if (conversationId) await this.reply(conversationId, message);
    } catch (error) {
      const failure = jobError(error);
      const final = lastAttempt || failure instanceof PermanentDeliveryError;
      this.options.logger[final ? 'error' : 'warn']({ err: error, conversationId, slackChannel: message.channel, slackTs: message.ts }, final ? 'could not take a reply written in Slack' : 'could not take a reply written in Slack yet; will retry');
      if (conversationId && final) await this.tell(message.channel, message.threadTs, message.user, ':warning: Switchboard could not take this message; please send it again.');
      throw failure;
    }
  }

  private async reply(conversationId: string, message: ThreadMessage & { user: string; threadTs: string }): Promise<void> {
    const { db, outbox, catalog, notePrefix } = this.options;
    const isNote = message.text.trimStart().toLowerCase().startsWith(notePrefix.toLowerCase());
    const text = isNote ? message.text.trimStart().slice(notePrefix.length) : message.text;
    const body = plainText(text).trim();
    if (!body) return;

    const agent = await this.options.agents.agentOf(message.user);
    if (!agent) {
      await this.tell(message.channel, message.threadTs, message.user, notAnAgent(message.user));
      return;
    }
    const actor: Actor = { type: 'agent', id: agent.id, agentId: agent.id };
    const idempotency: IdempotentRequest = {
      apiKeyId: SLACK_IDEMPOTENCY_KEY,
      key: `${message.channel}:${message.ts}`,
      requestHash: requestHash(conversationId, body, isNote),
    };
    let stored: Message;
    try {
      ({ message: stored } = await postReply({ db, outbox, catalog }, conversationId, { body, private: isNote, attachments: [], metadata: { slackTs: message.ts } }, actor, idempotency));
    } catch (error) {
      // Refusals the agent can act on are told in the thread; nothing was stored.
      if ((error instanceof ConflictError && error.code === 'recipient_opted_out') || error instanceof ValidationError) {
        await this.tell(message.channel, message.threadTs, message.user, `:no_entry: Not sent: ${error.message}`);
        return;
      }
      throw error;
    }
    // Already in the thread (it was written there): the mirror only shows its delivery status, as a
    // reaction on this very message. Checked on a redelivery too, in case the first one stopped here.
    if (!isNote && !(await this.records.isCopied(stored.id))) await this.records.messageWrittenThere(stored.id, message.ts, 'queued');
  }

  private tell(channel: string, threadTs: string, user: string, text: string): Promise<void> {
    return tellPrivately(this.options.client, this.options.logger, { channel, user, threadTs }, text);
  }
}
