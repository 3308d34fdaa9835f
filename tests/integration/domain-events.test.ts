import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SYSTEM } from '../../src/core/actor';
import { rateConversation } from '../../src/core/conversations/ratings';
import type { DomainEvent } from '../../src/core/events';
import { repo } from '../../src/core/model/schemas';
import { SUBSCRIBERS_QUEUE, subscriberJobs, wantedNow, type SubscriberJob } from '../../src/workers/processors/notify-subscribers';
import { eventually, expectStatus, inbound, type AgentItem } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { SseClient } from '../support/sse-client';
import { createEndpoint } from '../support/webhook-endpoints';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver';

/**
 * The events a CRM follows besides conversation.updated: conversation.assigned (with the assignee before),
 * conversation.resolved, and rating.created for a first rating only; each on the stream once.
 */
describe.each(ENGINES)('domain events on %s', (engine) => {
  let t: TestHub;
  let stream: SseClient;
  let agent: AgentItem;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' } });
    stream = await SseClient.connect(`${t.url}/api/v1/events`, { key: t.apiKey });
    agent = await expectStatus<AgentItem>(201, t, 'POST', '/api/v1/agents', { name: 'Ada Agent', email: `ada-${randomUUID()}@agents.test` });
  });
  afterAll(async () => {
    await stream.close();
    await t.stop();
  });

  function eventsOf(conversationId: string, type: string): DomainEvent[] {
    return stream.parsed(type).map((e) => e.json as DomainEvent).filter((e) => e.conversationId === conversationId);
  }

  it('tells an assignment as conversation.assigned, with the assignee it had before', async () => {
    const { conversationId } = await inbound(t);
    await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${conversationId}`, { assigneeId: agent.id });
    await stream.until('conversation.assigned', () => eventsOf(conversationId, 'conversation.assigned').length === 1);
    await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${conversationId}`, { assigneeId: null });
    await stream.until('the unassignment', () => eventsOf(conversationId, 'conversation.assigned').length === 2);

    const [assigned, unassigned] = eventsOf(conversationId, 'conversation.assigned');
    expect(assigned).toMatchObject({ data: { conversation: { id: conversationId, assigneeId: agent.id }, previousAssigneeId: null } });
    expect(unassigned).toMatchObject({ data: { conversation: { assigneeId: null }, previousAssigneeId: agent.id } });
    // A change of something else is no assignment.
    await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${conversationId}`, { priority: 'high' });
    await stream.until('the priority change', () => eventsOf(conversationId, 'conversation.updated').some((e) => e.type === 'conversation.updated' && e.data.changes.includes('priority')));
    expect(eventsOf(conversationId, 'conversation.assigned')).toHaveLength(2);
  });

  it('tells a resolution as conversation.resolved, and a first rating as rating.created (a second rating is no new one)', async () => {
    const { conversationId } = await inbound(t);
    await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${conversationId}`, { status: 'resolved' });
    await stream.until('conversation.resolved', () => eventsOf(conversationId, 'conversation.resolved').length === 1);
    expect(eventsOf(conversationId, 'conversation.resolved')[0]).toMatchObject({ data: { conversation: { id: conversationId, status: 'resolved' } } });

    const deps = { db: t.hub.db, outbox: t.hub.outbox };
    const rating = await rateConversation(deps, conversationId, { score: 4, comment: 'quick' }, SYSTEM);
    await rateConversation(deps, conversationId, { score: 5, comment: 'even better' }, SYSTEM);
    await stream.until('rating.created', () => eventsOf(conversationId, 'rating.created').length === 1);
    expect(eventsOf(conversationId, 'rating.created')[0]).toMatchObject({ data: { rating: { id: rating.id, conversationId, score: 4, comment: 'quick' } } });

    // Reopening is no resolution.
    await expectStatus(200, t, 'PATCH', `/api/v1/conversations/${conversationId}`, { status: 'open' });
    await stream.until('the reopening', () => eventsOf(conversationId, 'conversation.updated').some((e) => e.type === 'conversation.updated' && e.data.conversation.status === 'open'));
    expect(eventsOf(conversationId, 'conversation.resolved')).toHaveLength(1);
    expect(eventsOf(conversationId, 'rating.created')).toHaveLength(1);
  });
  it('hands events to the CRM webhooks only once an endpoint wants them: no endpoint, no job', async () => {
    const queue = new Queue<SubscriberJob>(SUBSCRIBERS_QUEUE, { connection: new Redis(t.hub.redisUrl, { maxRetriesPerRequest: null }), prefix: t.environment.prefix });
    const crmJobsOf = async (messageId: string) =>
      (await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])).filter((job) => job.data.subscriber === 'crm-webhooks' && job.data.events.some((e) => e.type === 'message.created' && e.data.message.id === messageId));
    try {
      const before = await inbound(t);
      await stream.until('the first message on the stream', () => stream.parsed('message.created').some((e) => (e.json as DomainEvent).conversationId === before.conversationId));
      expect(await crmJobsOf(before.messageId)).toEqual([]);

      const receiver = await WebhookReceiver.start(newWebhookSecret());
      try {
        await createEndpoint(t.hub.db, { url: receiver.url, secret: receiver.secret, events: ['message.created'] });
        const after = await inbound(t);
        await eventually('the CRM subscriber job of the second message', async () => ((await crmJobsOf(after.messageId)).length > 0 ? true : undefined));
        await eventually('its delivery', () => receiver.requests.find((r) => r.payload?.type === 'message.created'));
      } finally {
        await receiver.close();
        await repo(t.hub.db.manager, 'WebhookEndpoint').update({ enabled: true }, { enabled: false });
      }
    } finally {
      await queue.close();
      await queue.disconnect();
    }
  });
});

describe('subscriber jobs', () => {
  const event = (type: DomainEvent['type'], conversationId: string | null): DomainEvent =>
    ({ id: randomUUID(), type, conversationId, occurredAt: new Date().toISOString(), data: {} }) as unknown as DomainEvent;

  it("give a subscriber each conversation's events of a publish in one job, in their order, and each event about no conversation alone", () => {
    const a = [event('conversation.created', 'a'), event('message.created', 'a')];
    const b = [event('message.created', 'b')];
    const contact = [event('contact.created', null), event('contact.updated', null)];
    const published = [a[0], b[0], contact[0], a[1], contact[1]].flatMap((e) => (e ? [e] : []));
    const jobs = subscriberJobs([{ name: 'crm', events: '*' }, { name: 'mail', events: ['message.created'] }], published);

    const of = (subscriber: string) => jobs.filter((job) => job.data.subscriber === subscriber).map((job) => job.data.events.map((e) => e.id));
    expect(of('crm')).toEqual([a.map((e) => e.id), b.map((e) => e.id), [contact[0]?.id], [contact[1]?.id]]);
    expect(of('mail')).toEqual([[b[0]?.id], [a[1]?.id]]);
    // Ids come from the first event, so handing the same events over again adds no job.
    expect(new Set(jobs.map((job) => job.opts.jobId)).size).toBe(jobs.length);
    expect(subscriberJobs([{ name: 'crm', events: '*' }], published).map((job) => job.opts.jobId)).toEqual(jobs.filter((job) => job.data.subscriber === 'crm').map((job) => job.opts.jobId));
  });

  it('ask a subscriber what it wants right now, and narrow what it declared by that', async () => {
    const fanOut = (wanted: readonly string[] | '*') => ({ queue: undefined as never, subscribers: [{ name: 'crm', events: '*' as const, wanted: () => Promise.resolve(wanted) }, { name: 'mail', events: ['message.created' as const] }] });
    expect(await wantedNow(fanOut([]))).toEqual([{ name: 'crm', events: [] }, { name: 'mail', events: ['message.created'] }]);
    expect(await wantedNow(fanOut(['contact.created']))).toEqual([{ name: 'crm', events: ['contact.created'] }, { name: 'mail', events: ['message.created'] }]);
    expect(await wantedNow(fanOut('*'))).toEqual([{ name: 'crm', events: '*' }, { name: 'mail', events: ['message.created'] }]);
    const narrowed = await wantedNow({ queue: undefined as never, subscribers: [{ name: 'mail', events: ['message.created', 'conversation.updated'], wanted: () => Promise.resolve(['conversation.updated', 'rating.created']) }] });
    expect(narrowed).toEqual([{ name: 'mail', events: ['conversation.updated'] }]);
  });
});
