import type { Actor } from '../../../core/actor';
import type { ChannelCatalog } from '../../../core/channels/catalog';
import { addCrmNote, removeCrmContact, sendCrmMessage, upsertCrmContact, type CrmSource } from '../../../core/contacts/crm-sync';
import type { Database } from '../../../core/database';
import { PermanentDeliveryError } from '../../../core/errors';
import type { CrmInboundEvent } from '../../../core/model/types';
import type { Outbox, Unit } from '../../../core/outbox';
import { retryOnUniqueViolation } from '../../../core/unique';
import { crmActionSchema, type CrmAction } from './actions';
import { settleEvent, type Settled } from './records';

export interface ApplyDeps {
  db: Database;
  outbox: Outbox;
  catalog: ChannelCatalog;
  maxAttributeBytes: number;
}

/** The audit log names the webhook a change came through. */
function actorOf(provider: string): Actor {
  return { type: 'system', id: `crm:${provider}`, agentId: null };
}

/**
 * Applies one recorded event and records what became of it. Contact changes and notes commit with
 * their record (a retry finds the event settled and does nothing); a message is stored under the
 * event's own idempotency key first, so a retry after a crash between the two finds the same message.
 * Answers how the event was settled; a refusal is settled as `failed`, with its reason.
 */
export async function applyEvent(deps: ApplyDeps, row: CrmInboundEvent): Promise<Settled> {
  const parsed = crmActionSchema.safeParse(row.payload);
  if (!parsed.success) throw new PermanentDeliveryError(`the stored CRM event ${row.id} is not an action: ${parsed.error.message}`);
  const action = parsed.data;
  const source: CrmSource = { system: action.system, actor: actorOf(row.provider) };
  if (action.kind === 'send') return send(deps, row, source, action);
  return retryOnUniqueViolation(() =>
    deps.outbox.runUnit(async (unit) => {
      const settled = await change(deps, unit, source, row, action);
      await settleEvent(unit.manager, row.id, settled);
      return settled;
    }, { key: `crm:${row.provider}` }),
  );
}

async function change(deps: ApplyDeps, unit: Unit, source: CrmSource, row: CrmInboundEvent, action: Exclude<CrmAction, { kind: 'send' }>): Promise<Settled> {
  switch (action.kind) {
    case 'upsert': {
      const result = await upsertCrmContact(unit, deps.db, source, action.contact, deps.maxAttributeBytes);
      const outcome = result.kind === 'updated' ? `contact updated: ${result.changes.join(', ')}` : `contact ${result.kind}`;
      return { status: 'processed', outcome, contactId: result.contact.id };
    }
    case 'delete': {
      const result = await removeCrmContact(unit, deps.db, source, action.ref);
      if (result.kind === 'not_found') return { status: 'ignored', outcome: 'no contact matches' };
      return { status: 'processed', outcome: result.kind === 'deleted' ? 'contact deleted (it had no conversation)' : 'link to the CRM removed (the contact has conversations)', contactId: result.contactId };
    }
    case 'note': {
      const result = await addCrmNote(unit, deps.db, source, action.ref, action.body, { crmEventId: row.eventId });
      if (result.kind === 'ignored') return { status: 'ignored', outcome: result.reason, contactId: result.contactId ?? null };
      return { status: 'processed', outcome: `private note ${result.message.id} added to conversation ${result.message.conversationId}`, contactId: result.contactId };
    }
  }
}

async function send(deps: ApplyDeps, row: CrmInboundEvent, source: CrmSource, action: Extract<CrmAction, { kind: 'send' }>): Promise<Settled> {
  const result = await sendCrmMessage(deps, source, action.ref, action.channel, action.body, `${row.provider}:${row.id}`, { crmEventId: row.eventId });
  const settled: Settled =
    result.kind === 'sent'
      ? { status: 'processed', outcome: `message ${result.message.id} queued in conversation ${result.message.conversationId}`, contactId: result.contactId }
      : { status: 'failed', outcome: `not sent: ${result.reason}`, contactId: result.contactId ?? null };
  await deps.db.transaction((manager) => settleEvent(manager, row.id, settled));
  return settled;
}
