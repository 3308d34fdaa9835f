import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { MediaFetcher } from '../../src/channels/sms/media';
import { mediaJobOf, smsJobs } from '../../src/channels/sms/media-job';
import { RetryableDeliveryError } from '../../src/core/errors';
import type { StreamedEvent } from '../../src/core/events';
import { repo } from '../../src/core/model/schemas';
import type { DeliveryStatus } from '../../src/core/model/types';
import { freePort } from '../../src/infra/net';
import { TwilioEmulator, type EmulatedMessage, type InboundResult } from '../emulators/twilio';
import { errorCode } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { pngBytes } from '../support/files';
import { startTestHub, type TestHub } from '../support/hub';
import { waitFor } from '../support/processes';

/**
 * The SMS channel against a local Twilio: the real `twilio` SDK sends to the emulator, and the emulator
 * posts inbound texts and receipts signed exactly as Twilio signs them.
 */

const ACCOUNT_SID = `AC${'a1'.repeat(16)}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');
const SUPPORT_NUMBER = '+14155550100';
const SALES_NUMBER = '+14155550101';
const MEDIA_LIMIT = 64 * 1024;

interface MessageView {
  id: string;
  conversationId: string;
  direction: string;
  senderKind: string;
  body: string;
  attachments: { url: string; fileKey?: string; contentType?: string; size?: number }[];
  externalId: string | null;
  deliveryStatus: DeliveryStatus;
  failureReason: string | null;
  metadata: Record<string, unknown>;
}

interface ConversationView {
  id: string;
  channel: string;
  channelAddress: string | null;
  teamId: string | null;
  contactId: string;
  contact: { phone: string | null };
}

let customers = 0;
/** A fresh UK mobile number per test, so tests do not share conversations. */
function newCustomer(): string {
  customers += 1;
  return `+447911123${String(customers).padStart(3, '0')}`;
}

describe.each(ENGINES)('SMS channel on %s', (engine) => {
  let t: TestHub;
  let twilio: TwilioEmulator;
  let target: { url: string; publicUrl: string };
  const events: StreamedEvent[] = [];
  let unsubscribe: () => Promise<void>;

  beforeAll(async () => {
    twilio = await TwilioEmulator.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    // The hub must know its public address before it starts: Twilio signs that address.
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    t = await startTestHub(engine, {
      env: {
        PORT: String(port),
        PUBLIC_URL: publicUrl,
        ...twilio.hubEnv(`${SUPPORT_NUMBER}=SMS support,${SALES_NUMBER}`),
        SMS_HELP_REPLY: 'Acme support here. Reply STOP to opt out.',
        DELIVERY_ATTEMPTS: '4',
        UPLOAD_MAX_BYTES: String(MEDIA_LIMIT),
      },
    });
    target = { url: t.url, publicUrl };
    unsubscribe = await t.hub.bus.subscribe((event) => events.push(event));
  });

  afterAll(async () => {
    // Optional chaining: a failed beforeAll leaves some of these unset, and its error is the one to see.
    const started = { unsubscribe, t, twilio } as Partial<{ unsubscribe: typeof unsubscribe; t: TestHub; twilio: TwilioEmulator }>;
    await started.unsubscribe?.();
    await started.t?.stop();
    await started.twilio?.close();
  });

  async function messagesOf(conversationId: string): Promise<MessageView[]> {
    const response = await t.request(`/api/v1/conversations/${conversationId}/messages?limit=100`);
    return (response.body as { items: MessageView[] }).items;
  }

  async function conversationOfSid(messageSid: string): Promise<ConversationView> {
    const stored = await repo(t.hub.db.manager, 'Message').findOneByOrFail({ channel: 'sms', externalId: messageSid });
    return (await t.request(`/api/v1/conversations/${stored.conversationId}`)).body as ConversationView;
  }

  async function countMessages(): Promise<number> {
    return repo(t.hub.db.manager, 'Message').count();
  }

  async function reply(conversationId: string, body: string, extra: Record<string, unknown> = {}) {
    return t.request(`/api/v1/conversations/${conversationId}/messages`, { method: 'POST', json: { body, ...extra } });
  }

  async function waitForStatus(messageId: string, statuses: DeliveryStatus[]): Promise<MessageView> {
    let found: MessageView | undefined;
    await waitFor(`message ${messageId} to be ${statuses.join(' or ')}`, async () => {
      const { conversationId } = await repo(t.hub.db.manager, 'Message').findOneByOrFail({ id: messageId });
      found = (await messagesOf(conversationId)).find((m) => m.id === messageId);
      return found !== undefined && statuses.includes(found.deliveryStatus);
    }, 20_000);
    return found as MessageView;
  }

  /** A customer texts in; resolves to their conversation. */
  async function customerTexts(from: string, body: string, to = SUPPORT_NUMBER): Promise<ConversationView> {
    const sent = await twilio.sendInbound(target, { From: from, To: to, Body: body });
    expect(sent.status).toBe(200);
    return conversationOfSid(sent.messageSid);
  }

  /** MMS media are fetched in a job after the webhook was answered: waits until none is pending. */
  async function whenMediaDone(messageSid: string): Promise<MessageView> {
    const conversation = await conversationOfSid(messageSid);
    let found: MessageView | undefined;
    await waitFor(`the media of ${messageSid} to be fetched`, async () => {
      found = (await messagesOf(conversation.id)).find((m) => m.externalId === messageSid);
      return found?.metadata.pendingMedia === 0;
    }, 20_000);
    return found as MessageView;
  }

  function mediaDownloads(url: string): number {
    const { pathname } = new URL(url);
    return twilio.requests.filter((r) => r.method === 'GET' && r.path === pathname).length;
  }

  async function sentToTwilio(body: string): Promise<EmulatedMessage> {
    let found: EmulatedMessage | undefined;
    await waitFor(`Twilio to get "${body}"`, () => (found = twilio.messages.find((m) => m.body === body)) !== undefined, 20_000);
    return found as EmulatedMessage;
  }

  describe('inbound', () => {
    it('stores a signed text once, answers empty TwiML, and routes it to the number’s team', async () => {
      const from = newCustomer();
      const sent = await twilio.sendInbound(target, { From: from, To: SUPPORT_NUMBER, Body: 'Hello, is my order shipped?' });
      expect(sent.status).toBe(200);
      expect(sent.contentType).toMatch(/^text\/xml/);
      expect(sent.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response\/>$/);

      const conversation = await conversationOfSid(sent.messageSid);
      expect(conversation).toMatchObject({ channel: 'sms', channelAddress: SUPPORT_NUMBER, contact: { phone: from } });
      const teams = (await t.request('/api/v1/teams')).body as { items: { id: string; name: string }[] };
      expect(conversation.teamId).toBe(teams.items.find((team) => team.name === 'SMS support')?.id);
      const [message] = await messagesOf(conversation.id);
      expect(message).toMatchObject({ direction: 'inbound', body: 'Hello, is my order shipped?', externalId: sent.messageSid, metadata: { to: SUPPORT_NUMBER } });
    });

    it('keeps one message when Twilio posts the same text three times at once', async () => {
      const from = newCustomer();
      const messageSid = `SM${randomBytes(16).toString('hex')}`;
      const before = await countMessages();
      const answers = await Promise.all([1, 2, 3].map(() => twilio.sendInbound(target, { From: from, To: SUPPORT_NUMBER, Body: 'once only', MessageSid: messageSid })));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(await countMessages()).toBe(before + 1);
    });

    it('refuses forged, missing and stale-URL signatures, and other accounts, storing nothing', async () => {
      const from = newCustomer();
      const before = await countMessages();
      const forged = await twilio.sendInbound(target, { From: from, To: SUPPORT_NUMBER, Body: 'forged' }, { signature: 'bm90IGEgc2lnbmF0dXJl' });
      const missing = await twilio.sendInbound(target, { From: from, To: SUPPORT_NUMBER, Body: 'unsigned' }, { signature: null });
      // Signed for an address the hub had before (an old tunnel): not the URL Twilio was told to call now.
      const stale = await twilio.sendInbound(target, { From: from, To: SUPPORT_NUMBER, Body: 'stale' }, { signUrl: 'https://old-tunnel.example.test/webhooks/twilio/sms' });
      const otherAccount = await twilio.sendInbound(target, { From: from, To: SUPPORT_NUMBER, Body: 'other', extra: { AccountSid: `AC${'b2'.repeat(16)}` } });
      for (const answer of [forged, missing, stale, otherAccount]) {
        expect(answer.status).toBe(403);
        expect(errorCode(JSON.parse(answer.body))).toBe('forbidden');
      }
      expect(await countMessages()).toBe(before);
    });

    it('stores an MMS image so agents can see it, and notes media it refused', async () => {
      const image = pngBytes();
      const imageUrl = twilio.addMedia('image/png', image);
      const disguised = twilio.addMedia('image/png', Buffer.concat([Buffer.from('MZ'), randomBytes(200)]));
      const oversized = twilio.addMedia('image/png', Buffer.concat([image, Buffer.alloc(MEDIA_LIMIT)]));
      const sent = await twilio.sendInbound(target, {
        From: newCustomer(),
        To: SUPPORT_NUMBER,
        Body: 'Here is the broken part',
        media: [
          { url: imageUrl, contentType: 'image/png' },
          { url: disguised, contentType: 'image/png' },
          { url: oversized, contentType: 'image/png' },
        ],
      });
      expect(sent.status).toBe(200);
      const message = await whenMediaDone(sent.messageSid);
      expect(message.attachments).toHaveLength(1);
      expect(message.attachments[0]).toMatchObject({ contentType: 'image/png', size: image.length });
      expect(message.metadata.mediaFailures).toEqual([
        expect.objectContaining({ index: 1, contentType: 'image/png', reason: expect.stringMatching(/type/i) as unknown }),
        { index: 2, contentType: 'image/png', reason: `the media is larger than ${MEDIA_LIMIT} bytes` },
      ]);

      const file = await fetch(message.attachments[0]?.url ?? '', { headers: { authorization: `Bearer ${t.apiKey}` } });
      expect(file.status).toBe(200);
      expect(Buffer.from(await file.arrayBuffer()).equals(image)).toBe(true);
    });

    it('answers an MMS before its media is fetched, stores the text, then adds the media as a message.updated event', async () => {
      const image = pngBytes();
      const imageUrl = twilio.addMedia('image/png', image);
      const release = twilio.holdMedia();
      let sent: InboundResult;
      try {
        const started = Date.now();
        sent = await twilio.sendInbound(target, { From: newCustomer(), To: SUPPORT_NUMBER, Body: 'Photo of the label', media: [{ url: imageUrl, contentType: 'image/png' }] });
        expect(sent.status).toBe(200);
        expect(Date.now() - started).toBeLessThan(5000);
        // Twilio still holds the picture: the answer could not have waited for it.
        expect(twilio.requests.some((r) => r.path === new URL(imageUrl).pathname)).toBe(false);
        const conversation = await conversationOfSid(sent.messageSid);
        const [stored] = await messagesOf(conversation.id);
        expect(stored).toMatchObject({ body: 'Photo of the label', attachments: [], metadata: { to: SUPPORT_NUMBER, pendingMedia: 1 } });
        expect(JSON.stringify(stored?.metadata)).not.toContain(imageUrl);
      } finally {
        release();
      }

      const message = await whenMediaDone(sent.messageSid);
      expect(message.attachments).toEqual([expect.objectContaining({ contentType: 'image/png', size: image.length })]);
      expect(message.metadata.mediaFailures).toBeUndefined();
      await waitFor('the attachment to be a message.updated event', () =>
        events.some((e) => e.type === 'message.updated' && e.data.message.id === message.id && e.data.message.attachments.length === 1), 10_000);
    });

    it('retries a media download Twilio answered 500, then attaches it once', async () => {
      const image = pngBytes();
      const imageUrl = twilio.addMedia('image/png', image);
      twilio.failNextMedia(imageUrl, 1, 500);
      const sent = await twilio.sendInbound(target, { From: newCustomer(), To: SUPPORT_NUMBER, Body: 'Second try', media: [{ url: imageUrl, contentType: 'image/png' }] });
      expect(sent.status).toBe(200);
      const message = await whenMediaDone(sent.messageSid);
      expect(message.attachments).toEqual([expect.objectContaining({ contentType: 'image/png', size: image.length })]);
      expect(message.metadata.mediaFailures).toBeUndefined();
      expect(mediaDownloads(imageUrl)).toBe(2);
    });

    it('notes media Twilio no longer has (404) without retrying it', async () => {
      const imageUrl = twilio.addMedia('image/png', pngBytes());
      twilio.failNextMedia(imageUrl, 1, 404);
      const sent = await twilio.sendInbound(target, { From: newCustomer(), To: SUPPORT_NUMBER, Body: 'Gone', media: [{ url: imageUrl, contentType: 'image/png' }] });
      const message = await whenMediaDone(sent.messageSid);
      expect(message.attachments).toEqual([]);
      expect(message.metadata.mediaFailures).toEqual([{ index: 0, contentType: 'image/png', reason: 'Twilio answered 404 for the media' }]);
      expect(mediaDownloads(imageUrl)).toBe(1);
    });

    it('fetches the media of an MMS Twilio posts again once: no second job, no second attachment', async () => {
      const imageUrl = twilio.addMedia('image/png', pngBytes());
      const params = { From: newCustomer(), To: SUPPORT_NUMBER, Body: 'Twice', MessageSid: `MM${randomBytes(16).toString('hex')}`, media: [{ url: imageUrl, contentType: 'image/png' }] };
      const before = await countMessages();
      const answers = await Promise.all([1, 2, 3].map(() => twilio.sendInbound(target, params)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      await whenMediaDone(params.MessageSid);
      expect((await twilio.sendInbound(target, params)).status).toBe(200);
      // Time for a second job, had one been written.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const message = await whenMediaDone(params.MessageSid);
      expect(message.attachments).toHaveLength(1);
      expect(mediaDownloads(imageUrl)).toBe(1);
      expect(await countMessages()).toBe(before + 1);
    });

    it('keeps emoji and non-Latin text intact both ways', async () => {
      const text = 'Привет! 你好 👋🏽 مرحبا — ça va? 🇩🇪';
      const conversation = await customerTexts(newCustomer(), text);
      expect((await messagesOf(conversation.id))[0]?.body).toBe(text);

      const answer = `Ответ: всё хорошо 👍 ${randomBytes(3).toString('hex')}`;
      expect((await reply(conversation.id, answer)).status).toBe(201);
      const sent = await sentToTwilio(answer);
      expect(sent.body).toBe(answer);
    });
  });

  describe('media job', () => {
    function jobs() {
      const { db, outbox, storage, uploadPolicy } = t.hub;
      const media = new MediaFetcher({ storage, policy: uploadPolicy, publicUrl: target.publicUrl, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiUrl: twilio.url });
      return smsJobs({ db, outbox, media, logger: pino({ level: 'silent' }) });
    }

    it('keeps what an attempt stored, so a retry fetches only the media still missing', async () => {
      const conversation = await customerTexts(newCustomer(), 'Two pictures');
      const [message] = await messagesOf(conversation.id);
      const first = twilio.addMedia('image/png', pngBytes());
      const second = twilio.addMedia('image/png', pngBytes());
      const job = mediaJobOf(message?.id ?? '', [{ url: first, contentType: 'image/png' }, { url: second, contentType: 'image/png' }]);
      let kept: unknown = job.payload;
      const keep = (data: unknown) => {
        kept = structuredClone(data);
        return Promise.resolve();
      };

      // The first media comes, the second fails: what came is shown, the job is retried for the rest.
      twilio.failNextMedia(second, 1, 500);
      await expect(jobs().process(job.name, kept, { lastAttempt: false, keep })).rejects.toBeInstanceOf(RetryableDeliveryError);
      const shown = (await messagesOf(conversation.id))[0];
      expect(shown?.attachments).toHaveLength(1);
      expect(shown?.metadata.pendingMedia).toBe(1);

      await jobs().process(job.name, kept, { lastAttempt: false, keep });
      const done = (await messagesOf(conversation.id))[0];
      expect(done?.attachments).toHaveLength(2);
      expect(done?.metadata.pendingMedia).toBe(0);
      expect([mediaDownloads(first), mediaDownloads(second)]).toEqual([1, 2]);
    });

    it('notes a media still failing on the last attempt on the message', async () => {
      const conversation = await customerTexts(newCustomer(), 'Last try');
      const [message] = await messagesOf(conversation.id);
      const url = twilio.addMedia('image/png', pngBytes());
      const job = mediaJobOf(message?.id ?? '', [{ url, contentType: 'image/png' }]);
      twilio.failNextMedia(url, 1, 503);
      await jobs().process(job.name, job.payload, { lastAttempt: true, keep: () => Promise.resolve() });
      const [noted] = await messagesOf(conversation.id);
      expect(noted?.attachments).toEqual([]);
      expect(noted?.metadata).toMatchObject({ pendingMedia: 0, mediaFailures: [{ index: 0, contentType: 'image/png', reason: 'Twilio answered 503 for the media' }] });
    });
  });

  describe('outbound', () => {
    it('sends a reply from the number the customer texted, with a status callback, and records Twilio’s id and segments', async () => {
      const from = newCustomer();
      const conversation = await customerTexts(from, 'Do you ship to Canada?', SALES_NUMBER);
      const long = `Yes we do. ${'Shipping to Canada takes five to seven working days. '.repeat(4)}`.trim();
      const created = await reply(conversation.id, long);
      expect(created.status).toBe(201);
      const messageId = (created.body as MessageView).id;

      const sent = await sentToTwilio(long);
      expect(sent).toMatchObject({ from: SALES_NUMBER, to: from, numSegments: 2 });
      expect(sent.statusCallback).toBe(`${target.publicUrl}/webhooks/twilio/status?messageId=${messageId}`);
      const stored = await waitForStatus(messageId, ['sent']);
      expect(stored).toMatchObject({ externalId: sent.sid, metadata: { segments: 2 } });
    });

    it('applies receipts in any order and twice, never moving backwards, one event per change', async () => {
      const conversation = await customerTexts(newCustomer(), 'Where is my parcel?');
      const body = `It is on its way ${randomBytes(3).toString('hex')}`;
      const messageId = ((await reply(conversation.id, body)).body as MessageView).id;
      const sent = await sentToTwilio(body);
      await waitForStatus(messageId, ['sent']);

      const updates = () => events.filter((e) => e.type === 'message.updated' && e.data.message.id === messageId).length;
      await waitFor('the send to be an event', () => updates() >= 1, 10_000);
      const before = updates();
      for (const status of ['delivered', 'sent', 'delivered', 'queued'] as const) {
        expect((await twilio.sendStatus(target, sent, status)).status).toBe(204);
      }
      const stored = await waitForStatus(messageId, ['delivered']);
      expect(stored.deliveryStatus).toBe('delivered');
      await waitFor('the delivered receipt to be an event', () => updates() === before + 1, 10_000);
      // A late `sent` or a repeated `delivered` would have been a second event.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(updates()).toBe(before + 1);
    });

    it('keeps Twilio’s error code and its meaning for an undelivered receipt', async () => {
      const conversation = await customerTexts(newCustomer(), 'Can you call me?');
      const body = `We will call you ${randomBytes(3).toString('hex')}`;
      const messageId = ((await reply(conversation.id, body)).body as MessageView).id;
      const sent = await sentToTwilio(body);
      expect((await twilio.sendStatus(target, sent, 'undelivered', { errorCode: 30003 })).status).toBe(204);
      const stored = await waitForStatus(messageId, ['undelivered']);
      expect(stored).toMatchObject({ externalId: sent.sid, failureReason: '30003: Unreachable destination handset' });
    });

    it('keeps what a late receipt tells (Twilio id, segments) without moving the status back', async () => {
      const conversation = await customerTexts(newCustomer(), 'Late receipts?');
      const body = `Late but useful ${randomBytes(3).toString('hex')}`;
      const messageId = ((await reply(conversation.id, body)).body as MessageView).id;
      await sentToTwilio(body);
      await waitForStatus(messageId, ['sent']);
      await t.hub.delivery.applyStatus(messageId, { status: 'delivered' });
      const late = await t.hub.delivery.applyStatus(messageId, { status: 'sent', externalId: 'SMlate', metadata: { segments: 3 } });
      expect(late).toMatchObject({ deliveryStatus: 'delivered', externalId: 'SMlate', metadata: { segments: 3 } });
      expect(await t.hub.delivery.applyStatus(messageId, { status: 'sent', externalId: 'SMlate', metadata: { segments: 3 } })).toBeUndefined();
    });

    it('refuses a forged receipt', async () => {
      const conversation = await customerTexts(newCustomer(), 'Forged receipts?');
      const body = `Not with us ${randomBytes(3).toString('hex')}`;
      const messageId = ((await reply(conversation.id, body)).body as MessageView).id;
      const sent = await sentToTwilio(body);
      await waitForStatus(messageId, ['sent']);
      expect((await twilio.sendStatus(target, sent, 'failed', { errorCode: 30008, signature: 'Zm9yZ2Vk' })).status).toBe(403);
      expect((await waitForStatus(messageId, ['sent'])).deliveryStatus).toBe('sent');
    });

    it('retries a 500 and sends exactly one message', async () => {
      const conversation = await customerTexts(newCustomer(), 'Is the shop open on Sunday?');
      const body = `Yes, 10 to 4 ${randomBytes(3).toString('hex')}`;
      twilio.failNext(1, { status: 500 });
      const messageId = ((await reply(conversation.id, body)).body as MessageView).id;
      await waitForStatus(messageId, ['sent']);
      expect(twilio.messages.filter((m) => m.body === body)).toHaveLength(1);
    });

    it('waits out a 429 with Retry-After, then sends', async () => {
      const conversation = await customerTexts(newCustomer(), 'Busy?');
      const body = `Never too busy ${randomBytes(3).toString('hex')}`;
      twilio.failNext(1, { status: 429, retryAfterSeconds: 1 });
      const messageId = ((await reply(conversation.id, body)).body as MessageView).id;
      await waitForStatus(messageId, ['sent']);
      expect(twilio.messages.filter((m) => m.body === body)).toHaveLength(1);
    });

    it.each([
      [21610, 'Attempt to send to unsubscribed recipient'],
      [21211, "The 'To' number is not a valid phone number."],
      [21408, 'Permission to send an SMS has not been enabled for the region indicated by the \'To\' number'],
    ])('fails at once on Twilio error %i with the code and Twilio’s words', async (code, words) => {
      const conversation = await customerTexts(newCustomer(), `Trigger ${code}`);
      const body = `Reply for ${code} ${randomBytes(3).toString('hex')}`;
      const attemptsBefore = twilio.requests.filter((r) => r.method === 'POST').length;
      twilio.failNext(1, { status: 400, code, message: words });
      const messageId = ((await reply(conversation.id, body)).body as MessageView).id;
      const stored = await waitForStatus(messageId, ['failed']);
      expect(stored.failureReason).toBe(`${code}: ${words}`);
      expect(twilio.requests.filter((r) => r.method === 'POST').length).toBe(attemptsBefore + 1);
    });

    it('sends a stored attachment as a short-lived signed link Twilio can fetch', async () => {
      const image = pngBytes();
      const sentIn = await twilio.sendInbound(target, { From: newCustomer(), To: SUPPORT_NUMBER, Body: '', media: [{ url: twilio.addMedia('image/png', image), contentType: 'image/png' }] });
      const conversation = await conversationOfSid(sentIn.messageSid);
      const inbound = await whenMediaDone(sentIn.messageSid);
      const fileKey = inbound.attachments[0]?.fileKey;
      expect(fileKey).toEqual(expect.any(String));
      // A picture without text is previewed once it came, not as an empty message.
      const listed = (await t.request(`/api/v1/conversations/${conversation.id}`)).body as { lastMessagePreview: string | null };
      expect(listed.lastMessagePreview).toMatch(/^\[attachment: mms-1/);

      const body = `Is this the part? ${randomBytes(3).toString('hex')}`;
      expect((await reply(conversation.id, body, { attachments: [{ fileKey }] })).status).toBe(201);
      const sent = await sentToTwilio(body);
      expect(sent.mediaUrls).toHaveLength(1);
      expect(sent.mediaUrls[0]).toMatch(new RegExp(`^${target.publicUrl}/files/${fileKey ?? ''}\\?expires=\\d+&signature=`));
      expect(sent.fetchedMedia[0]).toMatchObject({ status: 200, contentType: 'image/png' });
      expect(sent.fetchedMedia[0]?.bytes.equals(image)).toBe(true);
    });
  });

  describe('opt-out', () => {
    it('STOP opts the number out (audited) and refuses replies with 409; START opts back in', async () => {
      const from = newCustomer();
      const conversation = await customerTexts(from, 'Hi');
      expect((await twilio.sendInbound(target, { From: from, To: SUPPORT_NUMBER, Body: ' stop ' })).status).toBe(200);

      const before = twilio.messages.length;
      const refused = await reply(conversation.id, 'Are you still there?');
      expect(refused.status).toBe(409);
      expect(errorCode(refused.body)).toBe('recipient_opted_out');
      expect((await messagesOf(conversation.id)).map((m) => m.body)).toEqual(['Hi', ' stop ']);
      expect(twilio.messages.length).toBe(before);
      // A private note is not a message to the customer.
      expect((await reply(conversation.id, 'customer opted out', { private: true })).status).toBe(201);

      const audit = (await t.request(`/api/v1/audit?entityType=channel_identity`)).body as { items: { action: string; actorType: string; actorId: string }[] };
      expect(audit.items).toContainEqual(expect.objectContaining({ action: 'identity.opted_out', actorType: 'contact', actorId: conversation.contactId }));

      expect((await twilio.sendInbound(target, { From: from, To: SUPPORT_NUMBER, Body: 'START' })).status).toBe(200);
      const body = `Welcome back ${randomBytes(3).toString('hex')}`;
      const created = await reply(conversation.id, body);
      expect(created.status).toBe(201);
      const messageId = (created.body as MessageView).id;
      await waitForStatus(messageId, ['sent']);
      const sent = await sentToTwilio(body);
      expect(sent.to).toBe(from);
      await twilio.sendStatus(target, sent, 'delivered');
      await waitForStatus(messageId, ['delivered']);
    });

    it('answers HELP with the configured text', async () => {
      const from = newCustomer();
      const conversation = await customerTexts(from, 'help');
      const sent = await sentToTwilio('Acme support here. Reply STOP to opt out.');
      expect(sent.to).toBe(from);
      const messages = await messagesOf(conversation.id);
      expect(messages.map((m) => [m.direction, m.senderKind])).toEqual([
        ['inbound', 'contact'],
        ['outbound', 'system'],
      ]);
    });
  });

  describe('numbers', () => {
    it('manages Twilio numbers and their teams over the API', async () => {
      const team = (await t.request('/api/v1/teams', { method: 'POST', json: { name: `Night shift ${randomBytes(3).toString('hex')}` } })).body as { id: string };
      const created = await t.request('/api/v1/sms-numbers', { method: 'POST', json: { address: '+14155550177', name: 'Night line', teamId: team.id } });
      expect(created.status).toBe(201);
      const number = created.body as { id: string; address: string; teamId: string };
      expect(number).toMatchObject({ address: '+14155550177', teamId: team.id, channel: 'sms' });

      expect((await t.request('/api/v1/sms-numbers', { method: 'POST', json: { address: '+14155550177' } })).status).toBe(409);
      const bad = await t.request('/api/v1/sms-numbers', { method: 'POST', json: { address: '555-0177' } });
      expect(bad.status).toBe(400);
      expect(errorCode(bad.body)).toBe('validation_failed');
      expect((await t.request('/api/v1/sms-numbers', { method: 'POST', json: { address: '+14155550178', teamId: '00000000-0000-4000-8000-000000000000' } })).status).toBe(400);

      const conversation = await customerTexts(newCustomer(), 'Night question', '+14155550177');
      expect(conversation.teamId).toBe(team.id);

      const list = (await t.request('/api/v1/sms-numbers')).body as { items: { address: string }[] };
      expect(list.items.map((n) => n.address)).toEqual(expect.arrayContaining([SUPPORT_NUMBER, SALES_NUMBER, '+14155550177']));
      expect((await t.request(`/api/v1/sms-numbers/${number.id}`, { method: 'PATCH', json: { teamId: null } })).body).toMatchObject({ teamId: null });
      expect((await t.request(`/api/v1/sms-numbers/${number.id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await t.request(`/api/v1/sms-numbers/${number.id}`)).status).toBe(404);
    });

    it('takes texts to a number it does not know yet, without a team', async () => {
      const conversation = await customerTexts(newCustomer(), 'Hello?', '+14155550199');
      expect(conversation).toMatchObject({ channelAddress: '+14155550199', teamId: null });
    });
  });
});
