import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Actor } from '../../core/actor';
import { listConversations } from '../../core/conversations/list';
import { updateConversation, type ConversationPatch } from '../../core/conversations/update';
import type { Database } from '../../core/database';
import { isRefusal, NotFoundError, PermanentDeliveryError } from '../../core/errors';
import { MirrorRecords } from '../../core/mirrors';
import type { Outbox } from '../../core/outbox';
import { notAnAgent, type SlackAgents } from './agents';
import { jobError, tellPrivately } from './client';
import { channelName, DESK_ACTIONS, escapeSlack } from './format';
import { SLACK_TARGET } from './mirror';

export interface SlackDeskOptions {
  db: Database;
  outbox: Outbox;
  client: WebClient;
  agents: SlackAgents;
  /** The slash command, as its help text names it (`/switchboard`). */
  command: string;
  logger: Logger;
}

/** A click on one of the header's controls, reduced to what the desk needs; also the payload of its queued job. */
export const deskActionSchema = z.object({
  actionId: z.string(),
  /** A button's value: the conversation id. */
  value: z.string().optional(),
  /** The person picked in "Assign to…". */
  selectedUser: z.string().optional(),
  /** Who clicked. */
  user: z.string(),
  channel: z.string(),
  /** The message the control is on: the conversation's header, which is its thread's parent. */
  messageTs: z.string(),
});
export type DeskAction = z.infer<typeof deskActionSchema>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;
const DURATION = /^(\d{1,4})\s*(m|min|h|d)$/i;
const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
/** The longest snooze a command takes. */
const MAX_SNOOZE_MS = 365 * 86_400_000;
const LIST_LIMIT = 10;
const HOUR_MS = 3_600_000;

/** A refusal the person is told about, as opposed to a failure that is logged. */
class Refusal extends Error {}

/** `30m`, `2h`, `1d` in milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[(match[2] ?? '').toLowerCase()] ?? 0);
  return ms > 0 && ms <= MAX_SNOOZE_MS ? ms : undefined;
}

/** 09:00 on the next day. In UTC: agents' own time zones are not known here (the button says UTC). */
export function tomorrowMorning(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 9));
}

function conversationIdOf(text: string | undefined): string {
  if (!text) throw new Refusal('Which conversation? Give its id (the header of its thread shows it).');
  if (!UUID.test(text)) throw new Refusal(`There is no conversation \`${escapeSlack(text)}\`.`);
  return text.toLowerCase();
}

/** What a refused change tells the person: the hub's own message for its refusals. */
function refusalOf(error: unknown, conversationId: string): string | undefined {
  if (error instanceof Refusal) return error.message;
  if (error instanceof NotFoundError) return `There is no conversation \`${conversationId}\`.`;
  if (isRefusal(error)) return `:no_entry: ${error.message}`;
  return undefined;
}

/**
 * The desk controls agents use in Slack: the buttons and "Assign to…" on each conversation's header,
 * and the slash command. Both change conversations through core's `updateConversation` (the same rules
 * and audit as the REST API's PATCH) as the agent behind the Slack user; the header then follows by
 * itself, because the change's `conversation.updated` event syncs the mirror.
 */
export class SlackDesk {
  private readonly records: MirrorRecords;

  constructor(private readonly options: SlackDeskOptions) {
    this.records = new MirrorRecords(options.db, SLACK_TARGET);
  }

  /**
   * Runs in a worker job. A refusal is told to the clicker as an ephemeral message; a failure is logged
   * and thrown (as a job error) to be retried, and the clicker is told once no retry follows.
   */
  async action(action: DeskAction, lastAttempt = true): Promise<void> {
    let conversationId = action.value ?? '';
    try {
      conversationId = action.value ?? (await this.records.conversationOfThread(action.channel, action.messageTs)) ?? '';
      const id = conversationIdOf(conversationId);
      const actor = await this.actorOf(action.user);
      await this.change(id, await this.patchOf(action, actor), actor);
    } catch (error) {
      const refusal = refusalOf(error, conversationId);
      if (refusal !== undefined) {
        await this.tell(action.channel, action.user, refusal);
        return;
      }
      const failure = jobError(error);
      const final = lastAttempt || failure instanceof PermanentDeliveryError;
      this.options.logger[final ? 'error' : 'warn']({ err: error, conversationId: conversationId || undefined, slackUser: action.user, actionId: action.actionId }, final ? 'a Slack desk action failed' : 'a Slack desk action failed; will retry');
      if (final) await this.tell(action.channel, action.user, ':warning: Switchboard could not do that; please try again.');
      throw failure;
    }
  }

  /**
   * The answer to a slash command, for the person who typed it only. A failure is thrown to be retried
   * unless this is the last attempt, which answers that it failed.
   */
  async command(user: string, text: string, lastAttempt = true): Promise<string> {
    const [sub = '', id, ...rest] = text.trim().split(/\s+/);
    try {
      switch (sub.toLowerCase()) {
        case 'list':
          await this.actorOf(user);
          return await this.list();
        case 'resolve':
        case 'reopen': {
          const conversationId = conversationIdOf(id);
          const resolve = sub.toLowerCase() === 'resolve';
          await this.change(conversationId, { status: resolve ? 'resolved' : 'open' }, await this.actorOf(user));
          return resolve ? `:white_check_mark: Resolved conversation \`${conversationId}\`.` : `Reopened conversation \`${conversationId}\`.`;
        }
        case 'assign': {
          const conversationId = conversationIdOf(id);
          const mention = MENTION.exec(rest.join(' '));
          if (!mention?.[1]) throw new Refusal(`Whom to? Write \`${this.options.command} assign <conversation id> @person\`.`);
          const actor = await this.actorOf(user);
          await this.change(conversationId, { assigneeId: await this.agentIdOf(mention[1]) }, actor);
          return `Assigned conversation \`${conversationId}\` to <@${mention[1]}>.`;
        }
        case 'snooze': {
          const conversationId = conversationIdOf(id);
          const ms = parseDuration(rest.join(''));
          if (ms === undefined) throw new Refusal(`For how long? Give a duration like \`30m\`, \`2h\` or \`1d\`: \`${this.options.command} snooze <conversation id> 2h\`.`);
          const until = new Date(Date.now() + ms);
          await this.change(conversationId, { status: 'snoozed', snoozedUntil: until }, await this.actorOf(user));
          return `:zzz: Snoozed conversation \`${conversationId}\` until ${until.toISOString().slice(0, 16).replace('T', ' ')} UTC.`;
        }
        default:
          return this.help(sub === '' || sub.toLowerCase() === 'help' ? undefined : sub);
      }
    } catch (error) {
      const refusal = refusalOf(error, id ?? '');
      if (refusal !== undefined) return refusal;
      const failure = jobError(error);
      const final = lastAttempt || failure instanceof PermanentDeliveryError;
      const conversationId = id !== undefined && UUID.test(id) ? id.toLowerCase() : undefined;
      this.options.logger[final ? 'error' : 'warn']({ err: error, conversationId, slackUser: user, command: text }, final ? 'a Slack command failed' : 'a Slack command failed; will retry');
      if (!final) throw failure;
      return ':warning: Switchboard could not do that; please try again.';
    }
  }

  private help(unknown: string | undefined): string {
    const c = this.options.command;
    return [
      ...(unknown === undefined ? [] : [`I don't know \`${escapeSlack(unknown)}\`.`]),
      `*${c}* works on conversations by their id (the header of each thread shows it):`,
      `• \`${c} list\`: open conversations nobody is assigned to, newest first`,
      `• \`${c} resolve <id>\` · \`${c} reopen <id>\``,
      `• \`${c} assign <id> @person\``,
      `• \`${c} snooze <id> 2h\` (\`30m\`, \`2h\`, \`1d\`)`,
      `• \`${c} help\``,
    ].join('\n');
  }

  private async list(): Promise<string> {
    const page = await listConversations(this.options.db, { status: 'open', assignee: 'none', limit: LIST_LIMIT });
    if (page.items.length === 0) return 'No open conversations without an assignee. :tada:';
    const lines = page.items.map((c) => {
      const who = escapeSlack(c.contact.name ?? c.contact.email ?? c.contact.phone ?? 'Visitor');
      const preview = c.lastMessagePreview ? ` · “${escapeSlack(c.lastMessagePreview)}”` : '';
      return `• *${who}* · ${channelName(c.channel)}${preview} · \`${c.id}\``;
    });
    return [`*Open and unassigned* (newest first${page.nextCursor ? `, the first ${LIST_LIMIT}` : ''}):`, ...lines].join('\n');
  }

  private async patchOf(action: DeskAction, actor: Actor & { agentId: string }): Promise<ConversationPatch> {
    switch (action.actionId) {
      case DESK_ACTIONS.claim:
        return { assigneeId: actor.agentId };
      case DESK_ACTIONS.resolve:
        return { status: 'resolved' };
      case DESK_ACTIONS.reopen:
        return { status: 'open' };
      case DESK_ACTIONS.snooze1h:
        return { status: 'snoozed', snoozedUntil: new Date(Date.now() + HOUR_MS) };
      case DESK_ACTIONS.snoozeTomorrow:
        return { status: 'snoozed', snoozedUntil: tomorrowMorning(new Date()) };
      case DESK_ACTIONS.assign:
        if (!action.selectedUser) throw new Refusal('Pick someone to assign the conversation to.');
        return { assigneeId: await this.agentIdOf(action.selectedUser) };
      default:
        throw new Refusal('Switchboard does not know this button; the message may be out of date.');
    }
  }

  private async actorOf(slackUser: string): Promise<Actor & { agentId: string }> {
    const agent = await this.options.agents.agentOf(slackUser);
    if (!agent) throw new Refusal(notAnAgent(slackUser));
    return { type: 'agent', id: agent.id, agentId: agent.id };
  }

  private async agentIdOf(slackUser: string): Promise<string> {
    const agent = await this.options.agents.agentOf(slackUser);
    if (!agent) throw new Refusal(`<@${slackUser}> is not an agent in Switchboard; ask an admin to add them (with their Slack user id ${slackUser}).`);
    return agent.id;
  }

  private async change(conversationId: string, patch: ConversationPatch, actor: Actor): Promise<void> {
    await updateConversation({ db: this.options.db, outbox: this.options.outbox }, conversationId, patch, actor);
  }

  private tell(channel: string, user: string, text: string): Promise<void> {
    return tellPrivately(this.options.client, this.options.logger, { channel, user }, text);
  }
}
