import type { EntityManager } from 'typeorm';
import { actorOfContact } from '../actor';
import { recordAudit } from '../audit';
import { ConflictError } from '../errors';
import type { ChannelIdentity } from '../model/types';
import type { Sql } from '../sql';

/** What a customer's message says about being messaged: SMS STOP opts out, START opts back in. */
export type Consent = 'opt_out' | 'opt_in';

/**
 * Records a customer's opt-out or opt-in on the address they wrote from, audited as their own act.
 * Repeating the current state changes nothing. Returns the identity as it now is.
 */
export async function applyConsent(manager: EntityManager, sql: Sql, identity: ChannelIdentity, consent: Consent, now: Date): Promise<ChannelIdentity> {
  const optedOutAt = consent === 'opt_out' ? (identity.optedOutAt ?? now) : null;
  if (optedOutAt === identity.optedOutAt) return identity;
  await sql.run(`UPDATE channel_identities SET "optedOutAt" = ? WHERE id = ?`, [sql.date(optedOutAt), identity.id]);
  await recordAudit(manager, actorOfContact(identity.contactId), {
    action: consent === 'opt_out' ? 'identity.opted_out' : 'identity.opted_in',
    entityType: 'channel_identity',
    entityId: identity.id,
    before: { optedOutAt: identity.optedOutAt?.toISOString() ?? null },
    after: { optedOutAt: optedOutAt?.toISOString() ?? null },
  });
  return { ...identity, optedOutAt };
}

/** Refuses to message an address whose owner opted out, before anything is stored or sent. */
export function assertMayMessage(identity: Pick<ChannelIdentity, 'address' | 'optedOutAt'>): void {
  if (identity.optedOutAt) {
    throw new ConflictError('recipient_opted_out', `The customer opted out of messages to ${identity.address} (they texted STOP); they must opt back in (START) first.`);
  }
}
