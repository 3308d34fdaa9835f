import { In, type EntityManager } from 'typeorm';
import type { Database } from '../database';
import { insertRows, repo } from '../model/schemas';
import type { Agent, ChannelName } from '../model/types';

/**
 * Agents' accounts on the channels where agents work (agent_accounts), read and written with the agent,
 * in the agent's transaction. Core keeps them as opaque ids: each channel knows what its ids look like.
 */

/** Each channel's account id of an agent, by channel. */
export type AgentAccounts = Record<ChannelName, string>;

/** The accounts of each agent. */
export async function accountsOf(manager: EntityManager, agentIds: readonly string[]): Promise<Map<string, AgentAccounts>> {
  const byAgent = new Map<string, AgentAccounts>(agentIds.map((id) => [id, {}]));
  if (agentIds.length === 0) return byAgent;
  const rows = await repo(manager, 'AgentAccount').find({ where: { agentId: In([...agentIds]) }, order: { channel: 'ASC' } });
  for (const row of rows) {
    const accounts = byAgent.get(row.agentId);
    if (accounts) accounts[row.channel] = row.accountId;
  }
  return byAgent;
}

/**
 * Sets the agent's account on each channel named, null removing it; other channels' stay. Answers the
 * agent's accounts after the change. An account another agent has is a unique violation, which the
 * caller turns into a conflict.
 */
export async function setAccounts(manager: EntityManager, agentId: string, accounts: Readonly<Record<ChannelName, string | null>>): Promise<AgentAccounts> {
  const channels = Object.keys(accounts);
  if (channels.length > 0) await repo(manager, 'AgentAccount').delete({ agentId, channel: In(channels) });
  const rows = Object.entries(accounts).flatMap(([channel, accountId]) => (accountId === null ? [] : [{ channel, accountId, agentId }]));
  if (rows.length > 0) await insertRows(manager, 'AgentAccount', rows);
  return (await accountsOf(manager, [agentId])).get(agentId) ?? {};
}

/** The agent with this account on the channel, if any. */
export async function agentOfAccount(db: Database, channel: ChannelName, accountId: string): Promise<Agent | undefined> {
  const account = await repo(db.manager, 'AgentAccount').findOneBy({ channel, accountId });
  return account ? ((await repo(db.manager, 'Agent').findOneBy({ id: account.agentId })) ?? undefined) : undefined;
}
