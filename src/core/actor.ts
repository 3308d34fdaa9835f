import type { ApiKey } from './model/types';

/** Who makes a change: recorded in the audit log and, for agents, on what they write. */
export interface Actor {
  type: 'api_key' | 'agent' | 'system' | 'cli' | 'contact';
  id: string | null;
  /** The agent acting, when there is one (an API key that acts as an agent, a Slack user). */
  agentId: string | null;
}

export const SYSTEM: Actor = { type: 'system', id: null, agentId: null };
export const CLI: Actor = { type: 'cli', id: null, agentId: null };

/** The customer, for what they change themselves (an SMS STOP). */
export function actorOfContact(contactId: string): Actor {
  return { type: 'contact', id: contactId, agentId: null };
}

export function actorOfApiKey(apiKey: ApiKey): Actor {
  return apiKey.agentId ? { type: 'agent', id: apiKey.agentId, agentId: apiKey.agentId } : { type: 'api_key', id: apiKey.id, agentId: null };
}
