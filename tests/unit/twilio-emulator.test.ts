import { createServer, type IncomingMessage, type Server } from 'node:http';
import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import RestException from 'twilio/lib/base/RestException';
import { countSegments, TwilioEmulator } from '../emulators/twilio';
import { listenLocally } from '../support/local-server';

const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
const AUTH_TOKEN = 'emulator-auth-token';
const FROM = '+15005550006';
const TO = '+15551234567';
const PUBLIC_URL = 'https://hub.example.test/base';

/** The real SDK, with only the host swapped: what the hub's own httpClient is expected to do. */
class EmulatorHttpClient extends RequestClient {
  constructor(private readonly baseUrl: string) {
    super({ timeout: 2000 });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request({ ...opts, uri: opts.uri.replace(/^https:\/\/api\.twilio\.com/, this.baseUrl) });
  }
}

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A stand-in for the hub: serves media, and records (and answers 200 to) every webhook. */
async function startHub(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.url === '/media/cat.png') {
        res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      } else if (req.url === '/media/moved') {
        res.writeHead(302, { location: '/media/cat.png' }).end();
      } else {
        res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>');
      }
    });
  });
  const local = await listenLocally(server);
  return { url: local.url, received, close: () => local.close() };
}

function formOf(request: Received): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(request.body));
}

function signatureOf(request: Received): string {
  const header = request.headers['x-twilio-signature'];
  if (typeof header !== 'string') throw new Error('no X-Twilio-Signature header');
  return header;
}

describe('TwilioEmulator', () => {
  let emulator: TwilioEmulator;
  let hub: Awaited<ReturnType<typeof startHub>>;
  let client: twilio.Twilio;

  beforeAll(async () => {
    emulator = await TwilioEmulator.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    hub = await startHub();
    client = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: new EmulatorHttpClient(emulator.url) });
  });

  afterAll(async () => {
    await emulator.close();
    await hub.close();
  });

  it('creates and fetches a message through the real SDK', async () => {
    const created = await client.messages.create({ from: FROM, to: TO, body: 'a'.repeat(200) });
    expect(created.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(created).toMatchObject({ accountSid: ACCOUNT_SID, from: FROM, to: TO, status: 'queued', numSegments: '2', numMedia: '0', direction: 'outbound-api' });
    expect(created.dateCreated).toBeInstanceOf(Date);
    expect(emulator.messages.at(-1)).toMatchObject({ sid: created.sid, numSegments: 2, status: 'queued', mediaUrls: [] });

    const fetched = await client.messages(created.sid).fetch();
    expect(fetched).toMatchObject({ sid: created.sid, body: 'a'.repeat(200) });
    await expect(client.messages(`SM${'0'.repeat(32)}`).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });

    const cyrillic = await client.messages.create({ from: FROM, to: TO, body: 'ж'.repeat(71) });
    expect(cyrillic.numSegments).toBe('2');
  });

  it('counts segments like carriers', () => {
    expect(countSegments('')).toBe(1);
    expect(countSegments('a'.repeat(160))).toBe(1);
    expect(countSegments('a'.repeat(161))).toBe(2);
    expect(countSegments('a'.repeat(306))).toBe(2);
    expect(countSegments('a'.repeat(307))).toBe(3);
    expect(countSegments('€'.repeat(80))).toBe(1);
    expect(countSegments('€'.repeat(81))).toBe(2);
    expect(countSegments('ж'.repeat(70))).toBe(1);
    expect(countSegments('😀'.repeat(35))).toBe(1);
    expect(countSegments('😀'.repeat(36))).toBe(2);
    expect(countSegments(`Hi ${'😀'.repeat(34)}`)).toBe(2);
  });

  it('answers failNext failures and Twilio refusals as RestExceptions', async () => {
    const before = emulator.messages.length;
    emulator.failNext(1, { status: 429, retryAfterSeconds: 7 });
    const throttled = await client.messages.create({ from: FROM, to: TO, body: 'hi' }).catch((error: unknown) => error);
    expect(throttled).toBeInstanceOf(RestException);
    expect(throttled).toMatchObject({ status: 429, code: 20429 });
    expect(emulator.requests.at(-1)).toMatchObject({ method: 'POST', status: 429 });

    emulator.failNext(1, { status: 400, code: 30007, message: 'Message filtered' });
    await expect(client.messages.create({ from: FROM, to: TO, body: 'hi' })).rejects.toMatchObject({ status: 400, code: 30007 });

    await expect(client.messages.create({ from: FROM, to: '0612', body: 'hi' })).rejects.toMatchObject({
      status: 400,
      code: 21211,
      message: "The 'To' number 0612 is not a valid phone number.",
      moreInfo: 'https://www.twilio.com/docs/errors/21211',
    });
    emulator.optedOut.add(TO);
    await expect(client.messages.create({ from: FROM, to: TO, body: 'hi' })).rejects.toMatchObject({ status: 400, code: 21610 });
    emulator.optedOut.clear();
    await expect(client.messages.create({ from: FROM, to: TO, body: '' })).rejects.toMatchObject({ status: 400, code: 21602 });

    const intruder = twilio(ACCOUNT_SID, 'wrong-token', { httpClient: new EmulatorHttpClient(emulator.url) });
    await expect(intruder.messages.create({ from: FROM, to: TO, body: 'hi' })).rejects.toMatchObject({ status: 401, code: 20003 });
    expect(emulator.messages).toHaveLength(before);
  });

  it('sends the Retry-After header with throttling', async () => {
    emulator.failNext(1, { status: 503, retryAfterSeconds: 3 });
    const response = await fetch(`${emulator.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` },
      body: new URLSearchParams({ To: TO, From: FROM, Body: 'hi' }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('3');
  });

  it('downloads MediaUrls at create time, and serves its own media only with basic auth', async () => {
    const own = emulator.addMedia('image/jpeg', Buffer.from('jpeg bytes'));
    expect(own).toMatch(new RegExp(`^${emulator.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/MM[0-9a-f]{32}/Media/ME[0-9a-f]{32}$`));
    expect((await fetch(own)).status).toBe(401);
    const authorized = await fetch(own, { headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` } });
    expect(authorized.status).toBe(200);
    expect(authorized.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await authorized.arrayBuffer()).toString()).toBe('jpeg bytes');

    const mediaUrl = [`${hub.url}/media/moved`, own, 'http://127.0.0.1:1/unreachable'];
    const created = await client.messages.create({ from: FROM, to: TO, mediaUrl });
    expect(created.numMedia).toBe('3');
    const [message] = (await emulator.waitForMessages(1)).filter((m) => m.sid === created.sid);
    expect(message?.mediaUrls).toEqual(mediaUrl);
    expect(message?.fetchedMedia.map(({ status, contentType }) => ({ status, contentType }))).toEqual([
      { status: 200, contentType: 'image/png' },
      { status: 401, contentType: 'application/json; charset=utf-8' },
      { status: 0, contentType: null },
    ]);
    expect(message?.fetchedMedia[0]?.bytes).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });

  it('fails and holds its media downloads on demand', async () => {
    const own = emulator.addMedia('image/jpeg', Buffer.from('jpeg bytes'));
    const download = () => fetch(own, { headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` } });
    emulator.failNextMedia(own, 1, 500);
    const failed = await download();
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ status: 500 });
    expect((await download()).status).toBe(200);

    const release = emulator.holdMedia();
    let answered = false;
    const held = download().then((response) => {
      answered = true;
      return response;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(answered).toBe(false);
    release();
    const response = await held;
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).toString()).toBe('jpeg bytes');
  });

  it('signs status callbacks over the public URL and delivers them to the reachable one', async () => {
    const statusCallback = `${PUBLIC_URL}/webhooks/twilio/status?tenant=a%20b&n=1`;
    const created = await client.messages.create({ from: FROM, to: TO, body: 'hi', statusCallback });
    const message = emulator.messages.find((m) => m.sid === created.sid);
    if (!message) throw new Error('message not recorded');
    const target = { url: hub.url, publicUrl: PUBLIC_URL };

    const reply = await emulator.sendStatus(target, message, 'undelivered', { errorCode: 30003 });
    expect(reply).toEqual({ status: 200, contentType: 'text/xml', body: '<Response/>' });
    const delivered = hub.received.at(-1);
    if (!delivered) throw new Error('no callback received');
    expect(delivered.url).toBe('/webhooks/twilio/status?tenant=a%20b&n=1');
    const form = formOf(delivered);
    expect(form).toMatchObject({ MessageSid: created.sid, MessageStatus: 'undelivered', SmsStatus: 'undelivered', ErrorCode: '30003', AccountSid: ACCOUNT_SID });
    expect(twilio.validateRequest(AUTH_TOKEN, signatureOf(delivered), statusCallback, form)).toBe(true);
    expect((await client.messages(created.sid).fetch()).status).toBe('undelivered');

    await emulator.sendStatus(target, message, 'delivered', { signature: 'forged' });
    const forged = hub.received.at(-1);
    if (!forged) throw new Error('no callback received');
    expect(twilio.validateRequest(AUTH_TOKEN, signatureOf(forged), statusCallback, formOf(forged))).toBe(false);

    const bare = await client.messages.create({ from: FROM, to: TO, body: 'no callback' });
    const bareMessage = emulator.messages.find((m) => m.sid === bare.sid);
    if (!bareMessage) throw new Error('message not recorded');
    await expect(emulator.sendStatus(target, bareMessage, 'sent')).rejects.toThrow(/without a StatusCallback/);
  });

  it('posts signed inbound SMS and MMS forms', async () => {
    const target = { url: hub.url, publicUrl: PUBLIC_URL };
    const media = [{ url: emulator.addMedia('image/png', Buffer.from('png')), contentType: 'image/png' }];
    const result = await emulator.sendInbound(target, { From: TO, To: FROM, Body: 'Hello 👋', media });
    expect(result.status).toBe(200);
    expect(result.messageSid).toMatch(/^MM[0-9a-f]{32}$/);
    const received = hub.received.at(-1);
    if (!received) throw new Error('no webhook received');
    expect(received.url).toBe('/webhooks/twilio/sms');
    const form = formOf(received);
    expect(form).toEqual(result.form);
    expect(form).toMatchObject({
      MessageSid: result.messageSid,
      SmsSid: result.messageSid,
      From: TO,
      To: FROM,
      Body: 'Hello 👋',
      NumMedia: '1',
      NumSegments: '1',
      MediaUrl0: media[0]?.url,
      MediaContentType0: 'image/png',
      SmsStatus: 'received',
      ApiVersion: '2010-04-01',
      FromCountry: 'US',
    });
    expect(form).not.toHaveProperty('MessagingServiceSid');
    expect(twilio.validateRequest(AUTH_TOKEN, signatureOf(received), `${PUBLIC_URL}/webhooks/twilio/sms`, form)).toBe(true);

    await emulator.sendInbound(target, { From: TO, To: FROM, Body: 'x', MessageSid: `SM${'a'.repeat(32)}` }, { signature: null });
    expect(hub.received.at(-1)?.headers).not.toHaveProperty('x-twilio-signature');

    await emulator.sendInbound(target, { From: TO, To: FROM, Body: 'x' }, { signUrl: 'https://elsewhere.test/sms' });
    const other = hub.received.at(-1);
    if (!other) throw new Error('no webhook received');
    expect(twilio.validateRequest(AUTH_TOKEN, signatureOf(other), 'https://elsewhere.test/sms', formOf(other))).toBe(true);
  });

  it('rejects waitForMessages with a clear error on timeout', async () => {
    await expect(emulator.waitForMessages(emulator.messages.length + 1, 50)).rejects.toThrow(/expected at least \d+ message\(s\) within 50 ms/);
  });
});
