import { z } from 'zod';
import { conversationTranscript, transcriptParty } from '../../../core/conversations/transcript';
import { PermanentDeliveryError } from '../../../core/errors';
import {
  claimFollowUp,
  contactWroteSince,
  isResolutionOccasion,
  markFollowUpSent,
  reconcileFollowUps,
  releaseFollowUp,
  settleFollowUp,
  stillResolved,
} from '../../../core/follow-ups/follow-ups';
import { isUnsubscribed } from '../../../core/follow-ups/unsubscribes';
import { repo } from '../../../core/model/schemas';
import { FOLLOW_UP_KINDS, type FollowUp } from '../../../core/model/types';
import type { JobAttempt } from '../../../core/ports/channel-jobs';
import type { OutgoingMail } from '../mail';
import { ratingLinks, unsubscribeUrl, type FollowUpContext } from './deps';
import { followUpMail, toCustomer, transcriptMail } from './mails';

/** The names of the follow-up part's jobs on the email queue: the kinds of follow-up. */
export const FOLLOW_UP_JOB_NAMES: readonly string[] = FOLLOW_UP_KINDS;

const jobData = z.object({ followUpId: z.uuid() });

/** Why a follow-up is no longer to be sent, if it is not. */
async function reasonToCancel(context: FollowUpContext, followUp: FollowUp, requested: boolean): Promise<string | undefined> {
  // A transcript the customer asked for goes even to an address that unsubscribed: they asked for this one.
  if (!requested && (await isUnsubscribed(context.db, followUp.channel, followUp.address))) return 'unsubscribed';
  if (followUp.kind !== 'follow_up') return undefined;
  const conversation = await repo(context.db.manager, 'Conversation').findOneBy({ id: followUp.conversationId });
  if (!conversation || !stillResolved(conversation, followUp.occasion)) return 'reopened';
  if (await contactWroteSince(context.db, conversation.contactId, new Date(followUp.occasion))) return 'customer_wrote';
  return undefined;
}

/** The mail of a follow-up, built when it is sent (the transcript as it is then). */
async function mailOf(context: FollowUpContext, followUp: FollowUp): Promise<OutgoingMail> {
  const { db } = context;
  const conversation = await repo(db.manager, 'Conversation').findOneByOrFail({ id: followUp.conversationId });
  const contact = await repo(db.manager, 'Contact').findOneByOrFail({ id: conversation.contactId });
  const party = (await transcriptParty(db, conversation)) ?? context.from.name ?? context.from.address;
  const parties = {
    from: context.from,
    to: toCustomer(contact, followUp.address),
    replyTo: await context.replyTo(conversation.id),
    messageId: context.hubMessageId(`${followUp.kind.replace('_', '-')}-${followUp.id}`),
    party,
  };
  const unsubscribe = unsubscribeUrl(context, followUp.address);
  if (followUp.kind === 'follow_up') return followUpMail({ ...parties, conversation, ratingUrl: ratingLinks(context, followUp.id), unsubscribeUrl: unsubscribe });
  const [html, text] = await Promise.all([conversationTranscript(db, conversation, party, 'html'), conversationTranscript(db, conversation, party, 'text')]);
  return transcriptMail({ ...parties, conversation, html, text, unsubscribeUrl: unsubscribe });
}

/**
 * Sends one follow-up, at most once: claimed first (a second run, or one after a crash mid-send, sends
 * nothing), checked again (unsubscribed, reopened, the customer wrote: cancelled), then sent and marked
 * sent with a note for agents. A temporary failure hands it back for the job's next attempt; a
 * permanent one, or the last attempt, fails it with the reason.
 */
export async function sendFollowUp(context: FollowUpContext, data: unknown, attempt: JobAttempt): Promise<void> {
  const { db, logger } = context;
  const parsed = jobData.safeParse(data);
  if (!parsed.success) throw new PermanentDeliveryError('a follow-up job without a follow-up id');
  const claim = await claimFollowUp(db, parsed.data.followUpId);
  if (!claim.claimed) {
    if (claim.why === 'interrupted') logger.warn({ followUpId: parsed.data.followUpId }, 'follow-up found mid-send after a crash: failed, not sent again');
    return;
  }
  const { followUp } = claim;
  const fields = { followUpId: followUp.id, conversationId: followUp.conversationId, kind: followUp.kind };
  try {
    const cancel = await reasonToCancel(context, followUp, !isResolutionOccasion(followUp.occasion));
    if (cancel) {
      await settleFollowUp(db, followUp.id, 'cancelled', cancel);
      logger.info({ ...fields, reason: cancel }, 'follow-up cancelled');
      return;
    }
    await context.mailer.send(await mailOf(context, followUp));
  } catch (error) {
    if (error instanceof PermanentDeliveryError || attempt.lastAttempt) {
      await settleFollowUp(db, followUp.id, 'failed', error instanceof Error ? error.message : String(error));
    } else {
      await releaseFollowUp(db, followUp.id);
    }
    throw error;
  }
  await markFollowUpSent({ db, outbox: context.outbox }, followUp);
  logger.info(fields, 'follow-up sent');
}

export function reconcile(context: FollowUpContext): Promise<number> {
  return reconcileFollowUps({ db: context.db, outbox: context.outbox }, context.sender);
}
