import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileLinks } from '../../src/core/files/links';
import { storeUpload } from '../../src/core/files/uploads';
import { FileTooLargeError } from '../../src/core/errors';
import { newFileKey } from '../../src/core/ports/file-storage';
import { hubSecret } from '../../src/core/secrets';
import { errorCode, expectStatus, inbound, type ErrorBody, type MessageItem } from '../support/agent-api';
import { ENGINES } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';
import { exeBytes, pngBytes } from '../support/files';

/**
 * Upload storage: files are typed by their bytes, refused when they could run in a browser or are too
 * large, served so that no browser runs them, reachable with an API key or a signed link, and attachable
 * to replies by their key.
 */

const MAX_BYTES = 2048;


const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
const HTML = Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>');

interface StoredFile {
  fileKey: string;
  url: string;
  contentType: string;
  name: string;
  size: number;
}

describe.each(ENGINES)('file uploads on %s', (engine) => {
  let t: TestHub;
  let uploads: string;

  beforeAll(async () => {
    t = await startTestHub(engine, { env: { UPLOAD_MAX_BYTES: String(MAX_BYTES), PUBLIC_URL: 'https://hub.example.com' } });
    uploads = join(t.environment.dataDir, 'uploads');
  });
  afterAll(async () => {
    await t.stop();
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  async function upload(bytes: RequestInit['body'], options: { query?: string; contentType?: string; headers?: Record<string, string>; key?: string } = {}) {
    const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/octet-stream', ...options.headers };
    return t.request(`/api/v1/files${options.query ?? ''}`, { method: 'POST', body: bytes, headers, key: options.key });
  }

  async function uploaded(bytes: Buffer, query = '?name=file.bin', contentType?: string): Promise<StoredFile> {
    const res = await upload(bytes, { query, contentType });
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as StoredFile;
  }

  /** The raw response, for its bytes and headers. */
  function fetchFile(path: string, key: string | null = t.apiKey): Promise<Response> {
    return fetch(t.url + path, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
  }

  function storedNames(): string[] {
    return existsSync(uploads) ? readdirSync(uploads).sort() : [];
  }

  /** The path and query of a signed link, against the test hub rather than PUBLIC_URL. */
  function local(url: string): string {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  }

  it('stores a PNG as image/png and serves the same bytes with safe headers', async () => {
    const png = pngBytes();
    const res = await upload(png, { query: '?name=pixel.png', contentType: 'image/png' });
    expect(res.status).toBe(201);
    const file = res.body as StoredFile;
    expect(file).toEqual({ fileKey: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown, url: `https://hub.example.com/api/v1/files/${file.fileKey}`, contentType: 'image/png', name: 'pixel.png', size: png.length });
    expect(res.headers.get('location')).toBe(file.url);

    const got = await fetchFile(`/api/v1/files/${file.fileKey}`);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(png)).toBe(true);
    expect(Object.fromEntries(['content-type', 'content-disposition', 'x-content-type-options', 'content-security-policy', 'cache-control', 'content-length'].map((h) => [h, got.headers.get(h)]))).toEqual({
      'content-type': 'image/png',
      'content-disposition': 'inline; filename=pixel.png',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, max-age=300',
      'content-length': String(png.length),
    });
  });

  it('types a file by its bytes, not its declared type, and names it from ?name= or Content-Disposition', async () => {
    const pdf = await uploaded(PDF, '', 'image/png');
    expect(pdf).toMatchObject({ contentType: 'application/pdf', name: 'file', size: PDF.length });
    const named = (await upload(PDF, { headers: { 'content-disposition': `attachment; filename="a.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf` } })).body as StoredFile;
    expect(named.name).toBe('résumé.pdf');
    expect(((await upload(PDF, { headers: { 'content-disposition': 'attachment; filename="q\\"uote.pdf"' } })).body as StoredFile).name).toBe('q"uote.pdf');

    // Anything but a plain picture is a download, whatever its name says.
    const got = await fetchFile(`/api/v1/files/${named.fileKey}`);
    expect(got.headers.get('content-type')).toBe('application/pdf');
    expect(got.headers.get('content-disposition')).toBe(`attachment; filename="r?sum?.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`);
  });

  it('keeps only the base name, without control or bidi characters, at most 255 characters', async () => {
    const name = async (given: string) => (await uploaded(PDF, `?name=${encodeURIComponent(given)}`)).name;
    expect(await name('../../etc/passwd')).toBe('passwd');
    expect(await name('C:\\Users\\me\\invoice.pdf')).toBe('invoice.pdf');
    expect(await name('evil\u202Efdp.exe')).toBe('evilfdp.exe');
    expect(await name('new\r\nline\u0007.pdf')).toBe('newline.pdf');
    // NUL is refused in every query string before any route reads it, this one too.
    const withNul = await upload(PDF, { query: `?name=${encodeURIComponent('line\u0000.pdf')}` });
    expect({ status: withNul.status, code: errorCode(withNul.body) }).toEqual({ status: 400, code: 'malformed_query' });
    expect(await name('..')).toBe('file');
    const long = await name(`${'ä'.repeat(400)}.pdf`);
    expect(long).toHaveLength(255);
    expect(long.endsWith('ä.pdf')).toBe(true);
  });

  it('stores text/plain only when it is declared, valid UTF-8 and not markup', async () => {
    const text = Buffer.from('Order 1042: délivré ✓\n');
    expect(await uploaded(text, '?name=notes.txt', 'text/plain; charset=utf-8')).toMatchObject({ contentType: 'text/plain', name: 'notes.txt' });
    const cases: [string, Buffer, string][] = [
      ['text declared as something else', text, 'application/pdf'],
      ['Latin-1 bytes', Buffer.from('caf\xe9', 'latin1'), 'text/plain'],
      ['text with NUL', Buffer.from('a\u0000b'), 'text/plain'],
      ['random bytes', Buffer.from([0x01, 0xfe, 0x88, 0x17, 0x9c]), 'text/plain'],
    ];
    for (const [what, bytes, contentType] of cases) {
      const res = await upload(bytes, { contentType });
      expect({ what, status: res.status, code: errorCode(res.body) }).toEqual({ what, status: 415, code: 'unsupported_file_type' });
    }
  });

  it('refuses an executable named x.png, SVG, HTML and XML with 415, storing nothing', async () => {
    const before = storedNames();
    const cases: [string, Buffer, string, string][] = [
      ['an .exe named x.png', exeBytes(), 'image/png', 'application/x-msdownload'],
      ['SVG declared as PNG', SVG, 'image/png', 'image/svg+xml'],
      ['SVG declared as text', SVG, 'text/plain', 'image/svg+xml'],
      ['SVG after an XML prolog', Buffer.from(`<?xml version="1.0"?>\n${SVG.toString()}`), 'text/plain', 'image/svg+xml'],
      ['HTML', HTML, 'text/html', 'text/html'],
      ['HTML declared as text', Buffer.from(`\uFEFF  ${HTML.toString()}`), 'text/plain', 'text/html'],
      ['XML', Buffer.from('<?xml version="1.0"?><a/>'), 'text/plain', 'application/xml'],
    ];
    for (const [what, bytes, contentType, detected] of cases) {
      const res = await upload(bytes, { query: '?name=x.png', contentType });
      const body = res.body as ErrorBody;
      expect({ what, status: res.status, code: errorCode(body) }).toEqual({ what, status: 415, code: 'unsupported_file_type' });
      expect({ what, message: body.error.message }).toEqual({ what, message: expect.stringContaining(detected) as unknown });
    }
    // Even when the settings allow them.
    await expect(storeUpload(t.hub.storage, { ...t.hub.uploadPolicy, allowedTypes: ['image/svg+xml', 'text/html', 'text/plain'] }, SVG, { contentType: 'image/svg+xml' })).rejects.toMatchObject({ kind: 'unsupported_type', code: 'unsupported_file_type' });
    expect(storedNames()).toEqual(before);
  });

  it('refuses a file over UPLOAD_MAX_BYTES with 413, sent whole or streamed, storing nothing', async () => {
    const before = storedNames();
    const tooBig = Buffer.concat([pngBytes(), Buffer.alloc(MAX_BYTES)]);
    const whole = await upload(tooBig, { contentType: 'image/png' });
    expect(whole.status).toBe(413);
    expect(whole.body).toMatchObject({ error: { code: 'file_too_large', message: expect.stringContaining(String(MAX_BYTES)) as unknown } });

    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(tooBig));
        controller.close();
      },
    });
    const streamed = await fetch(`${t.url}/api/v1/files`, { method: 'POST', body: stream, headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'image/png' }, duplex: 'half' });
    expect(streamed.status).toBe(413);
    expect(errorCode(await streamed.json())).toBe('file_too_large');

    // Exactly at the limit is fine; one more byte is not (the check the widget and SMS channels use).
    const atLimit = Buffer.concat([pngBytes(), Buffer.alloc(MAX_BYTES - pngBytes().length)]);
    expect((await upload(atLimit, { contentType: 'image/png' })).status).toBe(201);
    await expect(storeUpload(t.hub.storage, t.hub.uploadPolicy, Buffer.concat([atLimit, Buffer.alloc(1)]), {})).rejects.toBeInstanceOf(FileTooLargeError);
    expect(storedNames().filter((name) => !before.includes(name))).toHaveLength(2); // the one at the limit: data and metadata
  });

  it('refuses an empty upload with 400 and an upload by a read-only key with 403', async () => {
    const empty = await upload(Buffer.alloc(0));
    expect({ status: empty.status, code: errorCode(empty.body) }).toEqual({ status: 400, code: 'validation_failed' });
    const noBody = await t.request('/api/v1/files', { method: 'POST' });
    expect(noBody.status).toBe(400);

    const { createApiKey } = await import('../../src/core/api-keys');
    const { key: readKey } = await createApiKey(t.hub.db, { name: 'reader', scopes: ['read'] });
    const before = storedNames();
    const refused = await upload(pngBytes(), { key: readKey });
    expect({ status: refused.status, code: errorCode(refused.body) }).toEqual({ status: 403, code: 'forbidden' });
    expect(storedNames()).toEqual(before);
    expect((await upload(pngBytes(), { key: 'sb_unknown' })).status).toBe(401);

    const file = await uploaded(pngBytes());
    expect((await fetchFile(`/api/v1/files/${file.fileKey}`, readKey)).status).toBe(200);
    expect((await fetchFile(`/api/v1/files/${file.fileKey}`, null)).status).toBe(401);
  });

  it('serves a file through a signed link until it expires; a tampered, expired or unsigned link is 403', async () => {
    const png = pngBytes();
    const file = await uploaded(png, '?name=pixel.png');
    const link = t.hub.links.signedUrl(file.fileKey);
    expect(link.startsWith(`https://hub.example.com/files/${file.fileKey}?`)).toBe(true);

    const got = await fetchFile(local(link), null);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(png)).toBe(true);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('cross-origin-resource-policy')).toBe('cross-origin');

    const url = new URL(link);
    const expires = url.searchParams.get('expires') ?? '';
    const signature = url.searchParams.get('signature') ?? '';
    const other = await uploaded(png);
    const expired = t.hub.links.signedUrl(file.fileKey, new Date(Date.now() - 3600_000));
    const refused: [string, string][] = [
      ['expired', local(expired)],
      ['no signature', `/files/${file.fileKey}`],
      ['no expiry', `/files/${file.fileKey}?signature=${signature}`],
      ['later expiry', `/files/${file.fileKey}?expires=${Number(expires) + 3600}&signature=${signature}`],
      ['tampered signature', `/files/${file.fileKey}?expires=${expires}&signature=${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`],
      ["another file's signature", `/files/${other.fileKey}?expires=${expires}&signature=${signature}`],
      ['repeated parameters', `/files/${file.fileKey}?expires=${expires}&expires=${expires}&signature=${signature}`],
      ['an API key instead', `/files/${file.fileKey}`],
    ];
    for (const [what, path] of refused) {
      const res = await fetchFile(path, what === 'an API key instead' ? t.apiKey : null);
      const body: unknown = await res.json();
      expect({ what, status: res.status, code: errorCode(body) }).toEqual({ what, status: 403, code: 'forbidden' });
    }

    // A valid link to a file that is gone.
    await t.hub.storage.remove(other.fileKey);
    const gone = await fetchFile(local(t.hub.links.signedUrl(other.fileKey)), null);
    expect({ status: gone.status, code: errorCode(await gone.json()) }).toEqual({ status: 404, code: 'not_found' });
    expect((await fetchFile(`/api/v1/files/${other.fileKey}`)).status).toBe(404);
    expect((await fetchFile(`/api/v1/files/${newFileKey()}`)).status).toBe(404);
  });

  it('signs with one secret per hub, kept in the database, which concurrent first uses agree on', async () => {
    // Another process of the same hub reads the same secret, so its links verify here.
    const again = new FileLinks(await hubSecret(t.hub.db, 'file-links'), 'https://hub.example.com', 60);
    const file = await uploaded(pngBytes());
    expect((await fetchFile(local(again.signedUrl(file.fileKey)), null)).status).toBe(200);

    const secrets = await Promise.all(Array.from({ length: 5 }, () => hubSecret(t.hub.db, `race-${engine}`)));
    expect(secrets[0]).toHaveLength(32);
    for (const secret of secrets) expect(secret.equals(secrets[0] ?? Buffer.alloc(0))).toBe(true);
    expect((await hubSecret(t.hub.db, `race-${engine}`)).equals(secrets[0] ?? Buffer.alloc(0))).toBe(true);
    expect((await hubSecret(t.hub.db, 'another')).equals(secrets[0] ?? Buffer.alloc(0))).toBe(false);
  });

  it('never reaches the disk with a key that is not a file key', async () => {
    const open = jest.spyOn(t.hub.storage, 'open');
    const api = await fetchFile('/api/v1/files/..%2F..%2Fetc%2Fpasswd');
    expect([400, 404]).toContain(api.status);
    const dotted = await fetchFile('/api/v1/files/..%2Fhub.sqlite');
    expect([400, 404]).toContain(dotted.status);
    const signedTraversal = local(t.hub.links.signedUrl('../../etc/passwd'));
    expect(signedTraversal).toContain('..%2F..%2Fetc%2Fpasswd');
    for (const path of [signedTraversal, '/files/..%2F..%2Fetc%2Fpasswd', '/files/%2Fetc%2Fpasswd']) {
      const res = await fetchFile(path, null);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
    expect(open).not.toHaveBeenCalled();
    open.mockRestore();

    expect(await t.hub.storage.open('../hub.sqlite')).toBeUndefined();
    expect(await t.hub.storage.open('../../../../etc/passwd')).toBeUndefined();
    await t.hub.storage.remove('../hub.sqlite');
    expect(existsSync(join(t.environment.dataDir, 'hub.sqlite'))).toBe(engine === 'sqlite');
  });

  describe('replies', () => {
    async function messagesOf(conversationId: string): Promise<MessageItem[]> {
      return (await expectStatus<{ items: MessageItem[] }>(200, t, 'GET', `/api/v1/conversations/${conversationId}/messages`)).items;
    }

    it('attach an uploaded file by its key alone; the message stores the whole attachment', async () => {
      const png = pngBytes();
      const file = await uploaded(png, '?name=receipt.png');
      const { conversationId } = await inbound(t);
      const link = { url: 'https://files.example.com/terms.pdf', name: 'terms.pdf' };
      const reply = await expectStatus<MessageItem>(201, t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body: 'Here you go', attachments: [{ fileKey: file.fileKey }, link] });
      const expected = [{ fileKey: file.fileKey, url: `https://hub.example.com/api/v1/files/${file.fileKey}`, contentType: 'image/png', name: 'receipt.png', size: png.length }, link];
      expect(reply.attachments).toEqual(expected);
      expect((await messagesOf(conversationId)).find((m) => m.id === reply.id)?.attachments).toEqual(expected);

      const onlyFile = await expectStatus<MessageItem>(201, t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { attachments: [{ fileKey: file.fileKey }] });
      expect(onlyFile).toMatchObject({ body: '', attachments: [expected[0]] });
    });

    it('refuse an unknown or malformed file key, or a key with other fields, with 400 and store nothing', async () => {
      const file = await uploaded(pngBytes());
      const { conversationId } = await inbound(t);
      const before = await messagesOf(conversationId);
      const cases: [unknown[], string][] = [
        [[{ fileKey: newFileKey() }], 'attachments.0.fileKey'],
        [[{ fileKey: file.fileKey }, { fileKey: newFileKey() }], 'attachments.1.fileKey'],
        [[{ fileKey: '../../etc/passwd' }], 'attachments.0.fileKey'],
        [[{ fileKey: file.fileKey, name: 'other.png' }], 'attachments.0.fileKey'],
        [[{ fileKey: file.fileKey, url: 'https://example.com/a.png' }], 'attachments.0.fileKey'],
        [[{ name: 'a.png' }], 'attachments.0.url'],
        [[{ url: 'ftp://example.com/a.png' }], 'attachments.0.url'],
      ];
      for (const [attachments, path] of cases) {
        const res = await t.request(`/api/v1/conversations/${conversationId}/messages`, { method: 'POST', json: { body: 'see attached', attachments } });
        const body = res.body as ErrorBody;
        expect({ attachments, status: res.status, code: errorCode(body) }).toEqual({ attachments, status: 400, code: 'validation_failed' });
        expect({ attachments, details: body.error.details }).toEqual({ attachments, details: expect.arrayContaining([expect.objectContaining({ path })]) as unknown });
      }
      expect(await messagesOf(conversationId)).toEqual(before);
    });
  });

  it('documents the upload and the download in the OpenAPI document', async () => {
    const doc = (await t.request('/api/v1/openapi.json', { key: null })).body as { paths: Record<string, Record<string, { operationId: string; 'x-scope': string; requestBody?: { content: Record<string, unknown> }; responses: Record<string, unknown> }>> };
    const post = doc.paths['/api/v1/files']?.post;
    expect(post).toMatchObject({ operationId: 'uploadFile', 'x-scope': 'write', requestBody: { content: { '*/*': { schema: { type: 'string', format: 'binary' } } } } });
    expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '401', '403', '413', '415']));
    const get = doc.paths['/api/v1/files/{key}']?.get;
    expect(get).toMatchObject({ operationId: 'getFile', 'x-scope': 'read' });
    expect(Object.keys(get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '404']));
  });
});
