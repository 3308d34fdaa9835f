import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SYSTEM } from '../../src/core/actor';
import { updateConversation, wakeConversation } from '../../src/core/conversations/update';
import type { StreamedEvent } from '../../src/core/events';
import { TIMERS_QUEUE } from '../../src/core/outbox';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { waitFor } from '../support/processes';

/**
 * Snoozing through PATCH /api/v1/conversations/:id: the conversation reopens by itself at snoozedUntil
 * through a delayed job (with an event and an audit entry), a later snooze makes the earlier job a
 * no-op, a customer message reopens it at once, and a wake-up racing a resolution never undoes it.
 */

interface ConversationView {
  id: string;
  status: string;
  snoozedUntil: string | null;
}

interface AuditView {
  action: string;
  actorType: string;
  entityId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

interface WakeJobData {
  conversationId: string;
  snoozedUntil: string;
}

const WAKE_WAIT_MS = 10_000;
const RACES = 25;

describe.each(ENGINES)('snoozed conversations on %s', (engine) => {
  let t: TestHub;
  let redis: Redis;
  let timers: Queue;
  const events: StreamedEvent[] = [];
  let unsubscribe: () => Promise<void>;

  beforeAll(async () => {
    t = await startTestHub(engine);
    unsubscribe = await t.hub.bus.subscribe((event) => events.push(event));
    redis = new Redis(t.hub.redisUrl, { maxRetriesPerRequest: 1 });
    timers = new Queue(TIMERS_QUEUE, { connection: redis, prefix: t.environment.prefix });
  });
  afterAll(async () => {
    await timers.close();
    redis.disconnect();
    await unsubscribe();
    await t.stop();
  });

  async function newConversation(): Promise<{ conversationId: string; customer: string }> {
    const customer = `snoozer-${randomUUID()}`;
    const res = await t.request('/api/v1/inbound', { method: 'POST', json: { sourceId: `src-${randomUUID()}`, contact: { externalId: customer }, body: 'I will be back later' } });
    expect(res.status).toBe(202);
    return { conversationId: (res.body as { conversationId: string }).conversationId, customer };
  }

  async function conversation(id: string): Promise<ConversationView> {
    const res = await t.request(`/api/v1/conversations/${id}`);
    expect(res.status).toBe(200);
    return res.body as ConversationView;
  }

  async function snooze(id: string, until: Date): Promise<ConversationView> {
    const res = await t.request(`/api/v1/conversations/${id}`, { method: 'PATCH', json: { status: 'snoozed', snoozedUntil: until.toISOString() } });
    expect(res.status).toBe(200);
    return res.body as ConversationView;
  }

  /** The wake job for one snooze, once it has run, with what it returned ('woken' or 'unchanged'). */
  async function finishedWakeJob(conversationId: string, snoozedUntil: Date): Promise<unknown> {
    return waitFor(
      `the wake job of the snooze until ${snoozedUntil.toISOString()} to run`,
      async () => {
        const jobs = await timers.getJobs(['completed', 'failed']);
        const job = jobs.find((j) => {
          const data = j.data as WakeJobData;
          return data.conversationId === conversationId && data.snoozedUntil === snoozedUntil.toISOString();
        });
        if (job?.failedReason) throw new Error(`the wake job failed: ${job.failedReason}`);
        return job ? { returned: job.returnvalue as unknown } : undefined;
      },
      WAKE_WAIT_MS,
    );
  }

  function wokenEvents(conversationId: string): StreamedEvent[] {
    return events.filter((e) => e.type === 'conversation.updated' && e.conversationId === conversationId && e.data.conversation.status === 'open' && e.data.changes.includes('status'));
  }

  async function auditOf(conversationId: string): Promise<AuditView[]> {
    const res = await t.request(`/api/v1/audit?entityType=conversation&entityId=${conversationId}&limit=100`);
    expect(res.status).toBe(200);
    return (res.body as { items: AuditView[] }).items;
  }

  it('reopens a snoozed conversation by itself at snoozedUntil, with a conversation.updated event and an audit entry', async () => {
    const { conversationId } = await newConversation();
    const until = new Date(Date.now() + 1500);
    const snoozed = await snooze(conversationId, until);
    expect(snoozed).toMatchObject({ status: 'snoozed', snoozedUntil: until.toISOString() });

    const woken = await waitFor(
      'the conversation to reopen',
      async () => {
        const current = await conversation(conversationId);
        return current.status === 'open' ? current : undefined;
      },
      WAKE_WAIT_MS,
    );
    // Not before its time (the job is delayed until snoozedUntil).
    expect(Date.now()).toBeGreaterThanOrEqual(until.getTime());
    expect(woken.snoozedUntil).toBeNull();
    expect(await finishedWakeJob(conversationId, until)).toEqual({ returned: 'woken' });

    await waitFor('the conversation.updated event of the wake-up', () => wokenEvents(conversationId).length > 0, 5000);
    expect(wokenEvents(conversationId)).toHaveLength(1);
    expect(wokenEvents(conversationId)[0]?.data).toMatchObject({ conversation: { status: 'open', snoozedUntil: null }, changes: expect.arrayContaining(['status', 'snoozedUntil']) as unknown });

    const audit = await auditOf(conversationId);
    const wake = audit.filter((entry) => entry.action === 'conversation.woken');
    expect(wake).toHaveLength(1);
    expect(wake[0]).toMatchObject({ actorType: 'system', entityId: conversationId, before: { status: 'snoozed', snoozedUntil: until.toISOString() }, after: { status: 'open' } });
    expect(audit.some((entry) => entry.action === 'conversation.updated' && entry.after?.status === 'snoozed')).toBe(true);
  });

  it('makes the first wake job a no-op when the conversation is snoozed again to a later time', async () => {
    const { conversationId } = await newConversation();
    const first = new Date(Date.now() + 1500);
    const second = new Date(Date.now() + 4000);
    await snooze(conversationId, first);
    expect(await snooze(conversationId, second)).toMatchObject({ status: 'snoozed', snoozedUntil: second.toISOString() });

    // The first job runs at its time and finds the snooze changed: nothing happens.
    expect(await finishedWakeJob(conversationId, first)).toEqual({ returned: 'unchanged' });
    expect(await conversation(conversationId)).toMatchObject({ status: 'snoozed', snoozedUntil: second.toISOString() });
    expect(wokenEvents(conversationId)).toEqual([]);

    // The second one reopens it.
    expect(await finishedWakeJob(conversationId, second)).toEqual({ returned: 'woken' });
    expect(Date.now()).toBeGreaterThanOrEqual(second.getTime());
    expect(await conversation(conversationId)).toMatchObject({ status: 'open', snoozedUntil: null });
    expect((await auditOf(conversationId)).filter((entry) => entry.action === 'conversation.woken')).toHaveLength(1);
  });

  it('reopens a snoozed conversation at once when the customer writes, and its wake job then does nothing', async () => {
    const { conversationId, customer } = await newConversation();
    const until = new Date(Date.now() + 2000);
    await snooze(conversationId, until);

    const res = await t.request('/api/v1/inbound', { method: 'POST', json: { sourceId: `src-${randomUUID()}`, contact: { externalId: customer }, body: 'I am back' } });
    expect(res.status).toBe(202);
    expect((res.body as { conversationId: string }).conversationId).toBe(conversationId);
    // At once: right after the 202, long before snoozedUntil.
    expect(await conversation(conversationId)).toMatchObject({ status: 'open', snoozedUntil: null });
    await waitFor('the conversation.updated event of the reopening', () => wokenEvents(conversationId).length > 0, 5000);

    expect(await finishedWakeJob(conversationId, until)).toEqual({ returned: 'unchanged' });
    expect(await conversation(conversationId)).toMatchObject({ status: 'open' });
    expect(wokenEvents(conversationId)).toHaveLength(1);
  });

  it('never reopens a conversation resolved while its wake-up runs, and its events and audit tell the same story', async () => {
    const deps = { db: t.hub.db, outbox: t.hub.outbox };
    const raced: { conversationId: string; woken: boolean }[] = [];
    for (let i = 0; i < RACES; i++) {
      const { conversationId } = await newConversation();
      const until = new Date(Date.now() + 3600_000);
      await snooze(conversationId, until);
      const [woken] = await Promise.all([wakeConversation(deps, conversationId, until.toISOString()), updateConversation(deps, conversationId, { status: 'resolved' }, SYSTEM)]);
      raced.push({ conversationId, woken });
    }

    for (const { conversationId, woken } of raced) {
      expect(await conversation(conversationId)).toMatchObject({ id: conversationId, status: 'resolved', snoozedUntil: null });
      // The resolution saw what the wake-up committed, or the wake-up saw the resolution and did nothing.
      const audit = await auditOf(conversationId);
      const resolution = audit.filter((entry) => entry.action === 'conversation.updated' && entry.after?.status === 'resolved');
      expect(resolution).toHaveLength(1);
      expect(resolution[0]?.before?.status).toBe(woken ? 'open' : 'snoozed');
      expect(audit.filter((entry) => entry.action === 'conversation.woken')).toHaveLength(woken ? 1 : 0);

      const resolvedEvents = () => events.filter((e) => e.type === 'conversation.updated' && e.conversationId === conversationId && e.data.conversation.status === 'resolved');
      await waitFor('the conversation.updated event of the resolution', () => resolvedEvents().length > 0, 5000);
      expect(resolvedEvents()).toHaveLength(1);
      const wokenAt = wokenEvents(conversationId).map((e) => e.occurredAt);
      expect(wokenAt).toHaveLength(woken ? 1 : 0);
      for (const at of wokenAt) expect(at <= (resolvedEvents()[0]?.occurredAt ?? '')).toBe(true);
    }
  });

  it('refuses a snooze without snoozedUntil or with one in the past', async () => {
    const { conversationId } = await newConversation();
    const missing = await t.request(`/api/v1/conversations/${conversationId}`, { method: 'PATCH', json: { status: 'snoozed' } });
    expect(missing).toMatchObject({ status: 400, body: { error: { code: 'validation_failed' } } });
    const past = await t.request(`/api/v1/conversations/${conversationId}`, { method: 'PATCH', json: { status: 'snoozed', snoozedUntil: new Date(Date.now() - 60_000).toISOString() } });
    expect(past).toMatchObject({ status: 400, body: { error: { code: 'validation_failed' } } });
    expect(await conversation(conversationId)).toMatchObject({ status: 'open', snoozedUntil: null });
  });
});
