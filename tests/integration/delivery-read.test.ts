import type { Database } from '../../src/core/database';
import { newId } from '../../src/core/ids';
import { readForDelivery } from '../../src/core/messages/delivery-read';
import { insertRows, repo } from '../../src/core/model/schemas';
import type { ChannelIdentity, Contact, Conversation, Message } from '../../src/core/model/types';
import { openTestDatabase, type TestDatabase } from '../support/database';
import { ENGINES } from '../support/env';

/**
 * The delivery worker reads a message, its conversation, contact and identity with one plain query;
 * what it maps must be exactly what TypeORM's repositories return for the same rows (dates, booleans,
 * JSON, nulls), on each engine.
 */

const AT = new Date('2024-02-29T23:59:58.123Z');
const LATER = new Date('2024-03-01T00:00:01.007Z');

describe.each(ENGINES)('the delivery read on %s', (engine) => {
  let database: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    db = database.db;
  });
  afterAll(async () => {
    await database.close();
  });

  /** A contact, identity, conversation and queued message; `full` fills every nullable column. */
  async function write(full: boolean, message: Partial<Message> = {}): Promise<string> {
    const contact: Contact = {
      id: newId(),
      name: full ? 'Ada “Countess” Lovelace' : null,
      email: full ? 'ada@example.com' : null,
      phone: full ? '+15550100' : null,
      attributes: full ? { plan: 'pro', seats: 3, vip: true, nested: { tags: ['a', 'ü'] }, none: null } : {},
      createdAt: AT,
      updatedAt: LATER,
    };
    const identity: ChannelIdentity = { id: newId(), contactId: contact.id, channel: 'sms', address: `+1555${newId().slice(0, 7)}`, optedOutAt: full ? LATER : null, createdAt: AT };
    const conversation: Conversation = {
      id: newId(),
      contactId: contact.id,
      channel: 'sms',
      identityId: identity.id,
      channelAddress: full ? '+15550199' : null,
      subject: full ? 'Order #12' : null,
      status: 'open',
      assigneeId: null,
      teamId: null,
      priority: full ? 'urgent' : 'normal',
      tags: full ? ['billing', 'vip'] : [],
      snoozedUntil: full ? LATER : null,
      firstResponseAt: full ? AT : null,
      resolvedAt: full ? LATER : null,
      agentLastSeenAt: full ? AT : null,
      lastMessageAt: LATER,
      lastMessagePreview: full ? 'Hello' : null,
      createdAt: AT,
      updatedAt: LATER,
    };
    const row: Message = {
      id: newId(),
      conversationId: conversation.id,
      channel: 'sms',
      direction: 'outbound',
      senderKind: 'agent',
      senderId: full ? newId() : null,
      body: full ? 'Hello\nthere ✓' : '',
      attachments: full ? [{ url: 'https://files.example.com/a.png', contentType: 'image/png', name: 'a.png', size: 10, fileKey: 'k/1' }] : [],
      externalId: full ? `SM${newId()}` : null,
      deliveryStatus: 'queued',
      failureReason: full ? 'timed out once' : null,
      statusChangedAt: full ? LATER : null,
      private: full,
      metadata: full ? { retries: 2, source: { kind: 'api' } } : {},
      createdAt: AT,
      ...message,
    };
    await db.transaction(async (manager) => {
      await insertRows(manager, 'Contact', contact);
      await insertRows(manager, 'ChannelIdentity', identity);
      await insertRows(manager, 'Conversation', conversation);
      await insertRows(manager, 'Message', row);
    });
    return row.id;
  }

  async function throughTypeOrm(messageId: string): Promise<unknown> {
    const manager = db.manager;
    const message = await repo(manager, 'Message').findOneByOrFail({ id: messageId });
    const conversation = await repo(manager, 'Conversation').findOneByOrFail({ id: message.conversationId });
    const contact = await repo(manager, 'Contact').findOneByOrFail({ id: conversation.contactId });
    const identity = await repo(manager, 'ChannelIdentity').findOneByOrFail({ id: conversation.identityId });
    return { message, conversation, contact, identity };
  }

  it.each([
    ['every nullable column filled', true],
    ['every nullable column null and the JSON empty', false],
  ])('maps the rows as TypeORM does, with %s', async (_case, full) => {
    const id = await write(full);
    const read = await readForDelivery(db, id);
    expect(read).toStrictEqual(await throughTypeOrm(id));
    // What TypeORM returned is what was written: the comparison is not between two wrong readings.
    expect(read).toMatchObject({ message: { private: full, createdAt: AT }, contact: { updatedAt: LATER } });
  });

  it('skips a message that is not queued, and one that does not exist', async () => {
    const id = await write(true, { deliveryStatus: 'sent' });
    expect(await readForDelivery(db, id)).toBe('skipped');
    expect(await readForDelivery(db, newId())).toBe('skipped');
  });
});
