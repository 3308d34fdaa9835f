import { randomBytes, randomUUID } from 'node:crypto';
import { LinkTokens } from '../../src/channels/email/follow-ups/tokens';
import type { DomainEvent } from '../../src/core/events';
import { claimFollowUp, scheduleOnResolve } from '../../src/core/follow-ups/follow-ups';
import { repo } from '../../src/core/model/schemas';
import type { FollowUp, FollowUpStatus } from '../../src/core/model/types';
import { hubSecret } from '../../src/core/secrets';
import { expectStatus, type ErrorBody } from '../support/agent-api';
import { startEmailHub, SUPPORT, type EmailHub } from '../support/email-hub';
import { ENGINES } from '../support/env';
import { waitFor } from '../support/processes';
import type { ReceivedMail } from '../support/smtp-sink';
import { createWebsite, GENEROUS_LIMITS, newVisitor, visitorSays, widget, widgetOk } from '../support/widget';

/**
 * What the email channel sends by itself around a resolution, over real SMTP into a sink and real
 * BullMQ delayed jobs: the follow-up after the team's delay with one-click ratings, cancelled when the
 * customer writes or the conversation reopens, never to an unsubscribed address; the transcript on
 * resolve and on request, each once.
 */

const SECOND_H = 1 / 3600;
/** Short enough to wait for, long enough to see that nothing went out early. */
const FAST_H = 2 * SECOND_H;

const unique = (what: string) => `${what} ${randomBytes(4).toString('hex')}`;

describe.each(ENGINES)('email follow-ups on %s', (engine) => {
  let h: EmailHub;
  let events: DomainEvent[];
  let unsubscribeBus: () => Promise<void>;
  /** Teams whose settings the tests put conversations in. */
  const teams: Record<'fast' | 'slow' | 'transcripts' | 'quiet', string> = { fast: '', slow: '', transcripts: '', quiet: '' };

  beforeAll(async () => {
    h = await startEmailHub(engine, { FOLLOW_UP_DELAY_HOURS: '0', ...GENEROUS_LIMITS });
    events = [];
    unsubscribeBus = await h.t.hub.bus.subscribe((event) => events.push(event));
    const team = async (name: string, settings: Record<string, unknown>) => (await expectStatus<{ id: string }>(201, h.t, 'POST', '/api/v1/teams', { name, ...settings })).id;
    teams.fast = await team('Fast', { followUpDelayHours: FAST_H });
    teams.slow = await team('Slow', { followUpDelayHours: 1 });
    teams.transcripts = await team('Transcripts', { followUpDelayHours: 1, transcriptOnResolve: true });
    teams.quiet = await team('Quiet', { followUpDelayHours: 0, transcriptOnResolve: false });
  });
  afterAll(async () => {
    await unsubscribeBus();
    await h.stop();
  });

  const followUps = () => repo(h.t.hub.db.manager, 'FollowUp');
  const customer = () => `lin.${randomBytes(4).toString('hex')}@customer.example`;
  const mailsTo = (address: string) => h.sink.mails.filter((m) => m.to.includes(address));
  const mailTo = (address: string, subject: RegExp, timeoutMs = 10_000): Promise<ReceivedMail> =>
    waitFor(`a mail "${String(subject)}" to ${address}`, () => mailsTo(address).find((m) => subject.test(m.parsed.subject ?? '')), timeoutMs);
  const followUpOf = (conversationId: string, kind: FollowUp['kind'], status?: FollowUpStatus) =>
    waitFor(`a ${kind} of ${conversationId}${status ? ` ${status}` : ''}`, async () => (await followUps().findOneBy({ conversationId, kind, ...(status ? { status } : {}) })) ?? undefined, 10_000);
  const patch = (conversationId: string, json: Record<string, unknown>) => expectStatus(200, h.t, 'PATCH', `/api/v1/conversations/${conversationId}`, json);
  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** A customer's first mail, in a conversation of `team`. */
  async function customerWrites(team: keyof typeof teams, from = customer()) {
    const text = unique('Where is my order?');
    const sent = await h.customer.send({ from, fromName: 'Lin', to: SUPPORT, subject: unique('Order'), text });
    const message = await h.storedMessage(text);
    await patch(message.conversationId, { teamId: teams[team] });
    return { from, sent, conversationId: message.conversationId };
  }

  function linksIn(mail: ReceivedMail): string[] {
    return [...(mail.parsed.text ?? '').matchAll(/https?:\/\/\S+\/email\/v1\/ratings\/\S+/g)].map((m) => m[0]);
  }

  /** The List-Unsubscribe header's link, unfolded (a long header is folded over lines). */
  const unsubscribeLink = (mail: ReceivedMail) => {
    const line = mail.parsed.headerLines.find((header) => header.key === 'list-unsubscribe')?.line ?? '';
    return /<([^>]+)>/.exec(line.replace(/\r?\n[ \t]*/g, ''))?.[1] ?? '';
  };

  /** A link of the hub's, fetched from the hub whatever its PUBLIC_URL. */
  const onHub = (link: string) => `${h.t.url}${new URL(link).pathname}${new URL(link).search}`;
  const browser = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

  it('sends the follow-up after the delay, once, with five signed links and the one-click unsubscribe headers, and notes it for agents', async () => {
    const { from, conversationId } = await customerWrites('fast');
    await patch(conversationId, { status: 'resolved' });
    const scheduled = await followUpOf(conversationId, 'follow_up');
    const conversation = await h.conversation(conversationId);
    expect(scheduled).toMatchObject({ status: 'scheduled', address: from, channel: 'email', occasion: conversation.resolvedAt?.toISOString() });
    expect(scheduled.dueAt.getTime() - (conversation.resolvedAt?.getTime() ?? 0)).toBe(Math.round(FAST_H * 3600_000));

    const mail = await mailTo(from, /^How did we do\?/);
    expect(Date.now()).toBeGreaterThanOrEqual(scheduled.dueAt.getTime());
    expect(mail.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(mail.raw.toString()).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    expect(unsubscribeLink(mail)).toContain('/email/v1/unsubscribe/');
    expect(mail.parsed.replyTo?.value[0]?.address).toMatch(/^support\+[0-9a-f]{44}@acme\.test$/);
    const links = linksIn(mail);
    expect(links.map((link) => new URL(link).searchParams.get('score'))).toEqual(['1', '2', '3', '4', '5']);
    expect(new Set(links.map((link) => new URL(link).pathname)).size).toBe(1);
    expect(mail.parsed.html).toContain('?score=5');

    await waitFor('the follow-up to be marked sent', async () => (await followUps().findOneByOrFail({ id: scheduled.id })).status === 'sent', 5000);
    const listed = await expectStatus<{ items: { body: string; senderKind: string; private: boolean; deliveryStatus: string }[] }>(200, h.t, 'GET', `/api/v1/conversations/${conversationId}/messages`);
    expect(listed.items.filter((m) => m.senderKind === 'system')).toEqual([expect.objectContaining({ body: `Follow-up sent to ${from}`, private: true, deliveryStatus: 'internal' })]);
    await waitFor('the note on the event stream', () => events.some((e) => e.type === 'message.created' && e.conversationId === conversationId && e.data.message.body === `Follow-up sent to ${from}`), 5000);
    await settle(1500);
    expect(mailsTo(from)).toHaveLength(1);
  });

  it('records a rating from a link once, changes it with another score, takes a comment, and refuses forged and expired links', async () => {
    const { from, conversationId } = await customerWrites('fast');
    await patch(conversationId, { status: 'resolved' });
    const links = linksIn(await mailTo(from, /^How did we do\?/));
    const four = links[3] ?? '';
    const two = links[1] ?? '';

    const first = await fetch(onHub(four), { headers: browser });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await first.text()).toContain('You rated the conversation 4 out of 5');
    expect((await fetch(onHub(four))).status).toBe(200);
    const ratings = () => repo(h.t.hub.db.manager, 'Rating').findBy({ conversationId });
    expect((await ratings()).map((r) => r.score)).toEqual([4]);
    const audits = async () => (await expectStatus<{ items: { action: string; actorType: string }[] }>(200, h.t, 'GET', `/api/v1/audit?entityType=rating&entityId=${(await ratings())[0]?.id ?? ''}`)).items;
    expect((await audits()).map((a) => [a.action, a.actorType])).toEqual([['rating.created', 'contact']]);

    expect((await fetch(onHub(two))).status).toBe(200);
    const path = new URL(two).pathname;
    const commented = await fetch(`${h.t.url}${path}`, { method: 'POST', headers: { ...browser, 'content-type': 'application/x-www-form-urlencoded' }, body: 'score=2&comment=%20Slow%20but%20kind%20' });
    expect(commented.status).toBe(200);
    expect(await ratings()).toEqual([expect.objectContaining({ score: 2, comment: 'Slow but kind' })]);
    expect((await fetch(onHub(two))).status).toBe(200);
    expect(await ratings()).toEqual([expect.objectContaining({ score: 2, comment: 'Slow but kind' })]);
    const details = await expectStatus<{ rating: { score: number; comment: string | null } }>(200, h.t, 'GET', `/api/v1/conversations/${conversationId}`);
    expect(details.rating).toMatchObject({ score: 2, comment: 'Slow but kind' });

    const token = path.split('/').pop() ?? '';
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const asPage = await fetch(`${h.t.url}/email/v1/ratings/${forged}?score=5`, { headers: browser });
    expect({ status: asPage.status, type: asPage.headers.get('content-type') }).toEqual({ status: 404, type: 'text/html; charset=utf-8' });
    const asJson = await fetch(`${h.t.url}/email/v1/ratings/${forged}?score=5`);
    expect({ status: asJson.status, code: ((await asJson.json()) as ErrorBody).error.code }).toEqual({ status: 404, code: 'link_invalid' });
    const followUp = await followUpOf(conversationId, 'follow_up');
    const expired = new LinkTokens(await hubSecret(h.t.hub.db, 'email-links')).rating(followUp.id, new Date(Date.now() - 1000));
    const late = await fetch(`${h.t.url}/email/v1/ratings/${expired}?score=5`);
    expect({ status: late.status, code: ((await late.json()) as ErrorBody).error.code }).toEqual({ status: 404, code: 'link_expired' });
    expect((await fetch(`${h.t.url}${path}?score=6`)).status).toBe(400);

    await patch(conversationId, { status: 'open' });
    const reopened = await fetch(onHub(four), { headers: browser });
    expect(reopened.status).toBe(409);
    expect(await ratings()).toEqual([expect.objectContaining({ score: 2 })]);
  });

  it('cancels the follow-up when the customer replies (reopening the conversation) or writes anew, and when an agent reopens it', async () => {
    const replied = await customerWrites('slow');
    await patch(replied.conversationId, { status: 'resolved' });
    await followUpOf(replied.conversationId, 'follow_up', 'scheduled');
    await h.customer.send({ from: replied.from, to: SUPPORT, subject: 'Re: Order', text: unique('One more thing'), inReplyTo: replied.sent.messageId, references: [replied.sent.messageId] });
    await followUpOf(replied.conversationId, 'follow_up', 'cancelled');
    expect((await h.conversation(replied.conversationId)).status).toBe('open');

    const elsewhere = await customerWrites('slow');
    await patch(elsewhere.conversationId, { status: 'resolved' });
    await followUpOf(elsewhere.conversationId, 'follow_up', 'scheduled');
    const fresh = unique('A new question');
    await h.customer.send({ from: elsewhere.from, to: SUPPORT, subject: unique('Something else'), text: fresh });
    expect((await h.storedMessage(fresh)).conversationId).not.toBe(elsewhere.conversationId);
    await followUpOf(elsewhere.conversationId, 'follow_up', 'cancelled');
    expect((await h.conversation(elsewhere.conversationId)).status).toBe('resolved');

    const reopened = await customerWrites('slow');
    await patch(reopened.conversationId, { status: 'resolved' });
    await followUpOf(reopened.conversationId, 'follow_up', 'scheduled');
    await patch(reopened.conversationId, { status: 'open' });
    await followUpOf(reopened.conversationId, 'follow_up', 'cancelled');
    // Resolved again: a new resolution, a new follow-up.
    await patch(reopened.conversationId, { status: 'resolved' });
    await waitFor('a second follow-up', async () => (await followUps().countBy({ conversationId: reopened.conversationId, kind: 'follow_up' })) === 2, 10_000);
    expect((await followUps().findBy({ conversationId: reopened.conversationId })).map((f) => f.status).sort()).toEqual(['cancelled', 'scheduled']);
  });

  it('does not send a follow-up scheduled after the customer wrote again: its job checks before it mails', async () => {
    // The race the in-transaction cancel cannot see: the customer writes, then the follow-up is scheduled.
    const late = await customerWrites('fast');
    await patch(late.conversationId, { status: 'resolved' });
    await followUpOf(late.conversationId, 'follow_up', 'scheduled');
    const fresh = unique('Also, another thing');
    await h.customer.send({ from: late.from, to: SUPPORT, subject: unique('Another thing'), text: fresh });
    await followUpOf(late.conversationId, 'follow_up', 'cancelled');
    await followUps().update({ conversationId: late.conversationId, kind: 'follow_up' }, { status: 'scheduled' });
    const settled = await waitFor('the follow-up to settle', async () => {
      const followUp = await followUps().findOneByOrFail({ conversationId: late.conversationId, kind: 'follow_up' });
      // `sending` is the job's claim, between its start and its check.
      return followUp.status === 'scheduled' || followUp.status === 'sending' ? undefined : followUp;
    }, 10_000);
    expect([settled.status, settled.failureReason]).toEqual(['cancelled', 'customer_wrote']);
    expect(mailsTo(late.from).filter((m) => /How did we do/.test(m.parsed.subject ?? ''))).toHaveLength(0);
  });

  it('sends the transcript on resolve once per resolution, without private notes, and honours a one-click unsubscribe', async () => {
    const { from, conversationId } = await customerWrites('transcripts');
    await expectStatus(201, h.t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body: 'note: refund approved by Ada', private: true });
    const answer = unique('It ships <today>');
    await expectStatus(201, h.t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body: answer });
    await waitFor('the reply mail', () => mailsTo(from).length === 1, 10_000);
    await patch(conversationId, { status: 'resolved' });
    const mail = await mailTo(from, /^Transcript: Order/);
    expect(mail.parsed.html).toContain(answer.replace('<', '&lt;').replace('>', '&gt;'));
    expect(mail.parsed.text).toContain(answer);
    expect(`${mail.parsed.html} ${mail.parsed.text}`).not.toContain('refund approved');
    expect(mail.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    await waitFor('the transcript note', async () => (await repo(h.t.hub.db.manager, 'Message').countBy({ conversationId, body: `Transcript sent to ${from}` })) === 1, 5000);

    // The same resolution handled again (a retried event) schedules nothing more.
    const resolvedAt = (await h.conversation(conversationId)).resolvedAt?.toISOString() ?? '';
    expect(await scheduleOnResolve({ db: h.t.hub.db, outbox: h.t.hub.outbox }, { channel: 'email', queue: 'email' }, { conversationId, resolvedAt, address: from }, 0)).toEqual([]);
    await settle(1000);
    expect(mailsTo(from).filter((m) => /^Transcript/.test(m.parsed.subject ?? ''))).toHaveLength(1);

    const unsubscribe = unsubscribeLink(mail);
    const confirm = await fetch(onHub(unsubscribe), { headers: browser });
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(await repo(h.t.hub.db.manager, 'Unsubscribe').countBy({ channel: 'email' })).toBe(0);
    const oneClick = await fetch(onHub(unsubscribe), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(oneClick.status).toBe(200);
    expect(await repo(h.t.hub.db.manager, 'Unsubscribe').findBy({ channel: 'email' })).toEqual([expect.objectContaining({ address: from.toLowerCase() })]);
    // What was waiting for the address is cancelled; a new resolution schedules nothing for it.
    expect((await followUps().findOneByOrFail({ conversationId, kind: 'follow_up' })).status).toBe('cancelled');
    await patch(conversationId, { status: 'open' });
    await patch(conversationId, { status: 'resolved' });
    const other = await customerWrites('transcripts', from.toUpperCase());
    await patch(other.conversationId, { status: 'resolved' });
    await settle(1500);
    expect(await followUps().countBy({ conversationId: other.conversationId })).toBe(0);
    expect(await followUps().countBy({ conversationId })).toBe(2);
    expect(mailsTo(from).filter((m) => /^Transcript/.test(m.parsed.subject ?? ''))).toHaveLength(1);
  });

  it('sends a visitor the transcript they ask for in the widget, once per request, and notes it for agents only', async () => {
    const website = await createWebsite(h.t, { name: 'Shop' });
    const { token } = await newVisitor(h.t, website);
    const question = await visitorSays(h.t, website, token, 'Can you help?');
    await patch(question.conversationId, { teamId: teams.quiet });
    await patch(question.conversationId, { status: 'resolved' });
    const ask = () => widget<{ sentTo?: string } & Partial<ErrorBody>>(h.t, website, `/conversations/${question.conversationId}/transcript/email`, { method: 'POST', token });

    const before = await widgetOk<{ conversations: { id: string; emailTranscript: boolean }[] }>(200, h.t, website, '/history', { token });
    expect(before.conversations.find((c) => c.id === question.conversationId)?.emailTranscript).toBe(false);
    expect(await ask()).toMatchObject({ status: 409, body: { error: { code: 'no_email' } } });

    const address = customer();
    await widgetOk(204, h.t, website, '/profile', { token, json: { email: address } });
    const after = await widgetOk<{ conversations: { id: string; emailTranscript: boolean }[] }>(200, h.t, website, '/history', { token });
    expect(after.conversations.find((c) => c.id === question.conversationId)?.emailTranscript).toBe(true);
    expect(await ask()).toMatchObject({ status: 202, body: { sentTo: address } });
    const mail = await mailTo(address, /^Your conversation with Shop/);
    expect(mail.parsed.text).toContain('Can you help?');
    await waitFor('the transcript note', async () => (await repo(h.t.hub.db.manager, 'Message').countBy({ conversationId: question.conversationId, body: `Transcript sent to ${address}` })) === 1, 5000);
    await settle(1000);
    expect(mailsTo(address)).toHaveLength(1);
    const history = await widgetOk<{ messages: { body: string }[] }>(200, h.t, website, '/history', { token });
    expect(history.messages.map((m) => m.body)).not.toContain(`Transcript sent to ${address}`);

    const transcripts = (n: number) => waitFor(`${n} transcripts`, async () => (await followUps().countBy({ conversationId: question.conversationId, kind: 'transcript' })) === n, 10_000);
    expect(await ask()).toMatchObject({ status: 202 });
    await transcripts(2);
    expect(await ask()).toMatchObject({ status: 202 });
    await transcripts(3);
    expect(await ask()).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
    await waitFor('three transcript mails', () => mailsTo(address).length === 3, 10_000);
  });

  it('retries a follow-up the server defers, and fails one it refuses with its words, noting only what went out', async () => {
    const deferred = await customerWrites('fast');
    h.sink.answerNext(['451']);
    const refusedBefore = h.sink.refused;
    await patch(deferred.conversationId, { status: 'resolved' });
    await mailTo(deferred.from, /^How did we do\?/);
    expect(h.sink.refused).toBe(refusedBefore + 1);
    await followUpOf(deferred.conversationId, 'follow_up', 'sent');
    expect(mailsTo(deferred.from)).toHaveLength(1);

    const refused = await customerWrites('fast');
    h.sink.answerNext(['550']);
    await patch(refused.conversationId, { status: 'resolved' });
    const failed = await followUpOf(refused.conversationId, 'follow_up', 'failed');
    expect(failed.failureReason).toContain('User unknown');
    expect(mailsTo(refused.from)).toHaveLength(0);
    expect(await repo(h.t.hub.db.manager, 'Message').countBy({ conversationId: refused.conversationId, senderKind: 'system' })).toBe(0);
  });

  it('fails a follow-up found mid-send rather than sending it twice', async () => {
    const { conversationId } = await customerWrites('slow');
    await patch(conversationId, { status: 'resolved' });
    const followUp = await followUpOf(conversationId, 'follow_up', 'scheduled');
    await followUps().update({ id: followUp.id }, { status: 'sending' });
    expect(await claimFollowUp(h.t.hub.db, followUp.id)).toEqual({ claimed: false, why: 'interrupted' });
    expect(await followUps().findOneByOrFail({ id: followUp.id })).toMatchObject({ status: 'failed', failureReason: 'interrupted' });
    expect(await claimFollowUp(h.t.hub.db, followUp.id)).toEqual({ claimed: false, why: 'settled' });
  });

  it('serves the transcript over the API as html, txt and json, without private notes', async () => {
    const { conversationId } = await customerWrites('quiet');
    await expectStatus(201, h.t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body: 'note: VIP', private: true });
    await expectStatus(201, h.t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body: 'Here is <b>bold</b>\nand more' });
    const get = (query: string) => fetch(`${h.t.url}/api/v1/conversations/${conversationId}/transcript${query}`, { headers: { authorization: `Bearer ${h.t.apiKey}` } });

    const html = await get('');
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
    const page = await html.text();
    expect(page).toContain('Here is &lt;b&gt;bold&lt;/b&gt;');
    expect(page).toContain('Conversation with Quiet');
    expect(page).not.toContain('VIP');

    const txt = await get('?format=txt');
    expect(txt.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const text = await txt.text();
    expect(text).toMatch(/^Conversation with Quiet\n\nStarted \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\n\nYou, /);
    expect(text).toContain('  Here is <b>bold</b>\n  and more');
    expect(text).not.toContain('VIP');

    const json = await expectStatus<{ conversation: { id: string; contact: { email: string } }; messages: { body: string; private: boolean }[] }>(200, h.t, 'GET', `/api/v1/conversations/${conversationId}/transcript?format=json`);
    expect(json.conversation.id).toBe(conversationId);
    expect(json.messages.map((m) => m.body)).toEqual([expect.stringContaining('Where is my order?'), 'Here is <b>bold</b>\nand more']);
    expect(json.messages.every((m) => !m.private)).toBe(true);

    expect((await get('?format=pdf')).status).toBe(400);
    expect((await fetch(`${h.t.url}/api/v1/conversations/${randomUUID()}/transcript`, { headers: { authorization: `Bearer ${h.t.apiKey}` } })).status).toBe(404);
  });

  it('lets teams and websites set what follows a resolution, validated, the team first', async () => {
    const created = await expectStatus<{ id: string; followUpDelayHours: number | null; transcriptOnResolve: boolean | null }>(201, h.t, 'POST', '/api/v1/teams', { name: unique('Team'), followUpDelayHours: 0.5 });
    expect(created).toMatchObject({ followUpDelayHours: 0.5, transcriptOnResolve: null });
    expect(await expectStatus(200, h.t, 'PATCH', `/api/v1/teams/${created.id}`, { followUpDelayHours: null, transcriptOnResolve: true })).toMatchObject({ followUpDelayHours: null, transcriptOnResolve: true });
    expect(await expectStatus(200, h.t, 'GET', `/api/v1/teams/${created.id}`)).toMatchObject({ followUpDelayHours: null, transcriptOnResolve: true });
    for (const bad of [{ followUpDelayHours: 721 }, { followUpDelayHours: -1 }, { followUpDelayHours: '1' }, { transcriptOnResolve: 'yes' }]) {
      expect((await h.t.request(`/api/v1/teams/${created.id}`, { method: 'PATCH', json: bad })).status).toBe(400);
    }

    // A web chat conversation without a team: its website decides.
    const website = await expectStatus<{ id: string; key: string }>(201, h.t, 'POST', '/api/v1/websites', { name: 'Boutique', allowedOrigins: ['https://shop.example.com'], followUpDelayHours: FAST_H });
    const { token } = await newVisitor(h.t, website);
    await widgetOk(204, h.t, website, '/profile', { token, json: { email: 'ada@customer.example' } });
    const question = await visitorSays(h.t, website, token, 'Hello from the boutique');
    await patch(question.conversationId, { status: 'resolved' });
    const mail = await mailTo('ada@customer.example', /^How did we do\? Your conversation with Boutique/);
    expect(linksIn(mail)).toHaveLength(5);
  });
});
