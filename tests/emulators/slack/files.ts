import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { text, type Answer } from '../http';

/** A file the hub shared through files.completeUploadExternal, with the bytes it uploaded. */
export interface SharedFile {
  id: string;
  name: string;
  title: string;
  bytes: Buffer;
  channel: string;
  threadTs?: string;
}

interface PendingUpload {
  name: string;
  length: number;
  bytes?: Buffer;
}

/**
 * Slack's three-step upload, as WebClient.filesUploadV2 drives it: files.getUploadURLExternal hands out a
 * URL, the bytes are POSTed there (multipart, field `body`), and files.completeUploadExternal shares the
 * files in a channel or thread. A file whose bytes never arrived, or not as many as announced, cannot be
 * completed, as on Slack.
 */
export class FileUploads {
  readonly shared: SharedFile[] = [];
  private readonly pending = new Map<string, PendingUpload>();

  constructor(private readonly baseUrl: string) {}

  /** Answers files.getUploadURLExternal's arguments, or the Slack error to answer. */
  open(name: string | undefined, length: string | undefined): { upload_url: string; file_id: string } | string {
    if (!name) return 'invalid_arguments';
    if (!length || !/^[1-9]\d*$/.test(length)) return 'invalid_arguments';
    const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
    this.pending.set(id, { name, length: Number(length) });
    return { upload_url: `${this.baseUrl}/upload/${id}`, file_id: id };
  }

  async receive(req: IncomingMessage, id: string): Promise<Answer> {
    const upload = this.pending.get(id);
    if (!upload) return text(404, 'no_such_upload');
    if (req.method !== 'POST') return text(405, 'method_not_allowed');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const file = multipartField(req.headers['content-type'] ?? '', Buffer.concat(chunks), 'body');
    if (!file) return text(400, 'no_file_data');
    upload.bytes = file;
    return text(200, `OK - ${upload.bytes.length}`);
  }

  /** Answers files.completeUploadExternal, or the Slack error to answer. */
  complete(files: unknown, channel: string | undefined, threadTs: string | undefined): { files: { id: string; name: string; title: string }[] } | string {
    if (!Array.isArray(files) || files.length === 0) return 'invalid_arguments';
    const done: SharedFile[] = [];
    for (const entry of files as { id?: unknown; title?: unknown }[]) {
      const upload = typeof entry.id === 'string' ? this.pending.get(entry.id) : undefined;
      if (!upload || typeof entry.id !== 'string') return 'file_not_found';
      if (upload.bytes?.length !== upload.length) return 'file_upload_size_mismatch';
      done.push({ id: entry.id, name: upload.name, title: typeof entry.title === 'string' ? entry.title : upload.name, bytes: upload.bytes, channel: channel ?? '', ...(threadTs === undefined ? {} : { threadTs }) });
    }
    for (const file of done) this.pending.delete(file.id);
    this.shared.push(...done);
    return { files: done.map(({ id, name, title }) => ({ id, name, title })) };
  }
}

/** One field's bytes of a multipart/form-data body (RFC 7578): enough for the one file WebClient sends. */
function multipartField(contentType: string, body: Buffer, name: string): Buffer | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) return undefined;
  const delimiter = Buffer.from(`--${marker}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) return undefined;
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1 && new RegExp(`name="${name}"`).test(part.subarray(0, headerEnd).toString('utf8'))) return part.subarray(headerEnd + 4);
    start = next;
  }
  return undefined;
}
