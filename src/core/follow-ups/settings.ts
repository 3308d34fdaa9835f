import type { Database } from '../database';
import { repo } from '../model/schemas';
import type { AfterResolveSettings, Conversation } from '../model/types';
import { websiteOfConversation } from '../websites/websites';

/** What a conversation's resolution is followed by, every setting decided. */
export interface AfterResolve {
  /** 0: no follow-up. */
  followUpDelayHours: number;
  transcriptOnResolve: boolean;
}

/**
 * The conversation's team decides first, then the website it came in on, then the hub's default
 * (FOLLOW_UP_DELAY_HOURS; no transcript): a null setting leaves the choice to the next in line.
 */
export async function afterResolveSettings(db: Database, conversation: Pick<Conversation, 'teamId' | 'channel' | 'channelAddress'>, defaultDelayHours: number): Promise<AfterResolve> {
  const select = { followUpDelayHours: true, transcriptOnResolve: true } as const;
  const team = conversation.teamId ? await repo(db.manager, 'Team').findOne({ where: { id: conversation.teamId }, select }) : null;
  const websiteId = await websiteOfConversation(db, conversation);
  const website = websiteId ? await repo(db.manager, 'Website').findOne({ where: { id: websiteId }, select }) : null;
  const pick = <K extends keyof AfterResolveSettings>(key: K): AfterResolveSettings[K] | null => team?.[key] ?? website?.[key] ?? null;
  return { followUpDelayHours: pick('followUpDelayHours') ?? defaultDelayHours, transcriptOnResolve: pick('transcriptOnResolve') ?? false };
}
