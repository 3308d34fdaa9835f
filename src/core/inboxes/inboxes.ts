import type { EntityManager } from 'typeorm';
import type { Actor } from '../actor';
import { recordAudit, valuesBefore } from '../audit';
import type { Database } from '../database';
import { NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';
import { insertRows, repo, updateRow } from '../model/schemas';
import type { ChannelName, Inbox } from '../model/types';
import { toJson, type Json } from '../serialize';
import { retryOnUniqueViolation, uniquely } from '../unique';

export interface InboxInput {
  address: string;
  name?: string | null;
  teamId?: string | null;
}

async function checkTeam(manager: EntityManager, teamId: string | null | undefined): Promise<void> {
  if (teamId && !(await repo(manager, 'Team').existsBy({ id: teamId }))) {
    throw new ValidationError('The team does not exist.', [{ path: 'teamId', message: `is not an existing team (${teamId})`, code: 'not_found' }]);
  }
}

export async function listInboxes(db: Database, channel: ChannelName): Promise<Json<Inbox>[]> {
  return (await repo(db.manager, 'Inbox').find({ where: { channel }, order: { address: 'ASC' } })).map(toJson);
}

async function findInbox(manager: EntityManager, channel: ChannelName, id: string): Promise<Inbox> {
  const inbox = await repo(manager, 'Inbox').findOneBy({ id, channel });
  if (!inbox) throw new NotFoundError(`Inbox ${id}`);
  return inbox;
}

export async function getInbox(db: Database, channel: ChannelName, id: string): Promise<Json<Inbox>> {
  return toJson(await findInbox(db.manager, channel, id));
}

export async function createInbox(db: Database, channel: ChannelName, input: InboxInput, actor: Actor): Promise<Json<Inbox>> {
  const now = new Date();
  const inbox: Inbox = { id: newId(), channel, address: input.address, name: input.name ?? null, teamId: input.teamId ?? null, createdAt: now, updatedAt: now };
  await uniquely('inbox', () =>
    db.transaction(async (manager) => {
      await checkTeam(manager, inbox.teamId);
      await insertRows(manager, 'Inbox', inbox);
      await recordAudit(manager, actor, { action: 'inbox.created', entityType: 'inbox', entityId: inbox.id, after: { channel, address: inbox.address, teamId: inbox.teamId } });
    }),
  );
  return toJson(inbox);
}

export async function updateInbox(db: Database, channel: ChannelName, id: string, patch: Omit<InboxInput, 'address'>, actor: Actor): Promise<Json<Inbox>> {
  return db.transaction(async (manager) => {
    const inbox = await findInbox(manager, channel, id);
    await checkTeam(manager, patch.teamId);
    const updated: Inbox = { ...inbox, ...patch, updatedAt: new Date() };
    await updateRow(manager, 'Inbox', id, { ...patch, updatedAt: updated.updatedAt });
    await recordAudit(manager, actor, { action: 'inbox.updated', entityType: 'inbox', entityId: id, before: valuesBefore(inbox, patch), after: { ...patch } });
    return toJson(updated);
  });
}

export async function deleteInbox(db: Database, channel: ChannelName, id: string, actor: Actor): Promise<void> {
  await db.transaction(async (manager) => {
    const inbox = await findInbox(manager, channel, id);
    await repo(manager, 'Inbox').delete({ id });
    await recordAudit(manager, actor, { action: 'inbox.deleted', entityType: 'inbox', entityId: id, before: { address: inbox.address, teamId: inbox.teamId } });
  });
}

/**
 * Makes sure the addresses a deployment configures exist, each with its team (created by name when
 * missing). Configuration wins over API changes to the same address at every start.
 */
export async function ensureInboxes(db: Database, channel: ChannelName, configured: readonly { address: string; teamName?: string }[], actor: Actor): Promise<void> {
  for (const { address, teamName } of configured) {
    // Processes starting together race to insert the same rows; the loser's retry finds them.
    await retryOnUniqueViolation(() =>
      db.transaction(async (manager) => {
        const teamId = teamName ? await teamNamed(manager, teamName, actor) : null;
        const existing = await repo(manager, 'Inbox').findOneBy({ channel, address });
        if (!existing) {
          const now = new Date();
          const id = newId();
          await insertRows(manager, 'Inbox', { id, channel, address, name: null, teamId, createdAt: now, updatedAt: now });
          await recordAudit(manager, actor, { action: 'inbox.created', entityType: 'inbox', entityId: id, after: { channel, address, teamId } });
        } else if (teamName && existing.teamId !== teamId) {
          await updateRow(manager, 'Inbox', existing.id, { teamId, updatedAt: new Date() });
          await recordAudit(manager, actor, { action: 'inbox.updated', entityType: 'inbox', entityId: existing.id, before: { teamId: existing.teamId }, after: { teamId } });
        }
      }),
    );
  }
}

async function teamNamed(manager: EntityManager, name: string, actor: Actor): Promise<string> {
  const team = await repo(manager, 'Team').findOneBy({ name });
  if (team) return team.id;
  const now = new Date();
  const id = newId();
  await insertRows(manager, 'Team', { id, name, followUpDelayHours: null, transcriptOnResolve: null, createdAt: now, updatedAt: now });
  await recordAudit(manager, actor, { action: 'team.created', entityType: 'team', entityId: id, after: { name } });
  return id;
}
