import type { UsersInfoResponse, WebClient } from '@slack/web-api';
import { SYSTEM } from '../../core/actor';
import { accountsOf, agentOfAccount } from '../../core/agents/accounts';
import { agentWithEmail, createAgent, updateAgent } from '../../core/agents/agents';
import type { Database } from '../../core/database';
import { AppError } from '../../core/errors';
import { SLACK_TARGET } from './name';

export interface SlackAgentsOptions {
  db: Database;
  client: WebClient;
  /** Make an unknown Slack user an agent (from their profile) rather than refusing them. */
  autoCreateAgents: boolean;
}

/** What a Slack user who is no agent is told, in a message only they see. */
export function notAnAgent(slackUserId: string): string {
  return `You are not an agent in Switchboard yet; ask an admin to add you (with your Slack user id ${slackUserId}).`;
}

/** A Slack user's profile; one Slack does not know (user_not_found) is nobody. */
async function profileOf(client: WebClient, slackUserId: string): Promise<UsersInfoResponse['user']> {
  try {
    return (await client.users.info({ user: slackUserId })).user;
  } catch (error) {
    if ((error as { data?: { error?: string } }).data?.error === 'user_not_found') return undefined;
    throw error;
  }
}

/**
 * The agent behind a Slack user, for everything agents do in Slack (thread replies, header buttons,
 * the slash command): by Slack user id, else by their profile's email (then linked), else made one
 * when allowed. Bots, deleted users and profiles without an email are nobody.
 */
export class SlackAgents {
  constructor(private readonly options: SlackAgentsOptions) {}

  async agentOf(slackUserId: string): Promise<{ id: string } | undefined> {
    const { db, client, autoCreateAgents } = this.options;
    const known = await agentOfAccount(db, SLACK_TARGET, slackUserId);
    if (known) return known;
    const user = await profileOf(client, slackUserId);
    if (!user || user.is_bot || user.deleted) return undefined;
    // Stored lower-cased, as the API stores every email, so the agent is found by it again.
    const email = user.profile?.email?.toLowerCase();
    if (!email) return undefined;
    const byEmail = await agentWithEmail(db, email);
    try {
      if (byEmail) {
        // An agent linked to another Slack account is not taken over by this one.
        if ((await accountsOf(db.manager, [byEmail.id])).get(byEmail.id)?.[SLACK_TARGET] !== undefined) return undefined;
        return await updateAgent(db, byEmail.id, { accounts: { [SLACK_TARGET]: slackUserId } }, SYSTEM);
      }
      if (!autoCreateAgents) return undefined;
      const name = user.profile?.real_name || user.real_name || user.name || email;
      return await createAgent(db, { name, email, accounts: { [SLACK_TARGET]: slackUserId } }, SYSTEM);
    } catch (error) {
      // Two requests of a new agent at once: the other one linked or created them.
      if (error instanceof AppError && error.kind === 'conflict') return agentOfAccount(db, SLACK_TARGET, slackUserId);
      throw error;
    }
  }
}
