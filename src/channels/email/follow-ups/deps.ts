import type { Logger } from 'pino';
import type { Config } from '../../../../config';
import type { Database } from '../../../core/database';
import type { FollowUpSender } from '../../../core/follow-ups/follow-ups';
import { repo } from '../../../core/model/schemas';
import type { Conversation } from '../../../core/model/types';
import type { Outbox } from '../../../core/outbox';
import type { MailAddress, Mailer } from '../mail';
import type { LinkTokens } from './tokens';

/** What the email channel hands its follow-up part. */
export interface FollowUpPartsDeps {
  db: Database;
  outbox: Outbox;
  mailer: Mailer;
  config: Pick<Config, 'followUpDelayHours' | 'followUpLinkTtlDays'>;
  publicUrl: string;
  /** The hub's secrets by name (signing the links). */
  secret: (name: string) => Promise<Buffer>;
  /** MAIL_FROM: the sender of mail that has no inbox of its own. */
  from: MailAddress;
  /** The address a reply to a mail about the conversation should go to (with its reply token). */
  replyTo: (conversationId: string) => Promise<MailAddress>;
  /** A Message-ID of the hub's own for `local` (without brackets). */
  hubMessageId: (local: string) => string;
  /** The email channel's name (on the follow-ups' rows) and its queue (their jobs). */
  sender: FollowUpSender;
  logger: Logger;
}

/** The follow-up part's own dependencies, once the link secret is read. */
export interface FollowUpContext extends FollowUpPartsDeps {
  tokens: LinkTokens;
}

export const RATINGS_PATH = '/email/v1/ratings';
export const UNSUBSCRIBE_PATH = '/email/v1/unsubscribe';
const DAY_MS = 86_400_000;

/** The one-click links of a follow-up, one per score, sharing one token that expires after FOLLOW_UP_LINK_TTL_DAYS. */
export function ratingLinks(context: FollowUpContext, followUpId: string, now = new Date()): (score: number) => string {
  const token = context.tokens.rating(followUpId, new Date(now.getTime() + context.config.followUpLinkTtlDays * DAY_MS));
  return (score) => ratingLink(context.publicUrl, token, score);
}

export function ratingLink(publicUrl: string, token: string, score: number): string {
  return `${publicUrl}${RATINGS_PATH}/${token}?score=${score}`;
}

export function unsubscribeUrl(context: FollowUpContext, address: string): string {
  return `${context.publicUrl}${UNSUBSCRIBE_PATH}/${context.tokens.unsubscribe(address.toLowerCase())}`;
}

/** Where mail to the conversation's customer goes: their contact's email, else the address they wrote from on this channel. */
export async function customerAddress(context: FollowUpContext, conversation: Pick<Conversation, 'contactId' | 'identityId'>): Promise<string | null> {
  const { db, sender } = context;
  const contact = await repo(db.manager, 'Contact').findOne({ where: { id: conversation.contactId }, select: { email: true } });
  if (contact?.email) return contact.email;
  const identity = await repo(db.manager, 'ChannelIdentity').findOne({ where: { id: conversation.identityId }, select: { channel: true, address: true } });
  return identity?.channel === sender.channel ? identity.address : null;
}
