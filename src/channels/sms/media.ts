import type { Logger } from 'pino';
import { AppError } from '../../core/errors';
import { attachmentOf, storeUpload, type UploadPolicy } from '../../core/files/uploads';
import type { Attachment } from '../../core/model/types';
import type { FileStorage } from '../../core/ports/file-storage';
import type { IncomingMedia } from './inbound';

const FETCH_TIMEOUT_MS = 10_000;

export interface MediaFetcherOptions {
  storage: FileStorage;
  policy: UploadPolicy;
  publicUrl: string;
  accountSid: string;
  authToken: string;
  /** Twilio's API origin: media is only ever fetched from there, so a webhook cannot make the hub fetch elsewhere. */
  apiUrl: string;
  logger: Logger;
}

/** One MMS media the hub could not keep, told to agents in the message's metadata instead. */
export interface MediaFailure {
  index: number;
  contentType: string;
  reason: string;
}

export interface FetchedMedia {
  attachments: Attachment[];
  failures: MediaFailure[];
}

class MediaError extends Error {}

/**
 * Downloads an MMS's media from Twilio (with the account's credentials, as Twilio requires when media
 * auth is on) into the hub's upload storage, checking size and type on the bytes. A media that cannot
 * be kept does not lose the message: its text is stored and the failure is noted beside it.
 */
export class MediaFetcher {
  constructor(private readonly options: MediaFetcherOptions) {}

  async fetchAll(media: readonly IncomingMedia[], conversationHint: Record<string, string>): Promise<FetchedMedia> {
    const attachments: Attachment[] = [];
    const failures: MediaFailure[] = [];
    for (const [index, item] of media.entries()) {
      try {
        attachments.push(await this.fetchOne(item, index));
      } catch (error) {
        const reason = error instanceof MediaError || error instanceof AppError ? error.message : 'the media could not be downloaded from Twilio';
        this.options.logger.warn({ ...conversationHint, index, contentType: item.contentType, err: error }, 'MMS media not stored');
        failures.push({ index, contentType: item.contentType, reason });
      }
    }
    return { attachments, failures };
  }

  /** Removes media stored for a message that turned out to be a duplicate. */
  async discard(attachments: readonly Attachment[]): Promise<void> {
    const keys = attachments.flatMap((a) => (a.fileKey ? [a.fileKey] : []));
    await Promise.all(keys.map((key) => this.options.storage.remove(key)));
  }

  private async fetchOne(item: IncomingMedia, index: number): Promise<Attachment> {
    const { apiUrl, accountSid, authToken, policy } = this.options;
    if (new URL(item.url).origin !== new URL(apiUrl).origin) throw new MediaError(`media URL is not on ${new URL(apiUrl).origin}`);
    const response = await fetch(item.url, {
      headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}` },
      redirect: 'follow',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok || !response.body) throw new MediaError(`Twilio answered ${response.status} for the media`);
    const declared = Number(response.headers.get('content-length'));
    if (declared > policy.maxBytes) throw new MediaError(`the media is larger than ${policy.maxBytes} bytes`);
    const bytes = await readAtMost(response.body, policy.maxBytes);
    const upload = await storeUpload(this.options.storage, policy, bytes, {
      name: `mms-${index + 1}`,
      contentType: response.headers.get('content-type') ?? item.contentType,
    });
    return attachmentOf(upload, this.options.publicUrl);
  }
}

/** Reads a body, giving up as soon as it passes the limit rather than after holding all of it. */
async function readAtMost(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new MediaError(`the media is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
