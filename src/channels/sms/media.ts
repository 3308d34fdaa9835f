import { AppError, PermanentDeliveryError, RetryableDeliveryError } from '../../core/errors';
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
}

/** One MMS media the hub could not keep, told to agents in the message's metadata instead. */
export interface MediaFailure {
  index: number;
  contentType: string;
  reason: string;
}

/** Twilio's answers worth asking again: its media store was busy, slow or down. */
const RETRYABLE_STATUS = new Set([408, 429]);

/**
 * Downloads an MMS's media from Twilio (with the account's credentials, as Twilio requires when media
 * auth is on) into the hub's upload storage, checking size and type on the bytes. A media the hub
 * refuses (too large, a type it does not store, a URL elsewhere, gone at Twilio) is a
 * PermanentDeliveryError whose message says why; a network error or a busy Twilio is a
 * RetryableDeliveryError.
 */
export class MediaFetcher {
  constructor(private readonly options: MediaFetcherOptions) {}

  async fetchOne(item: IncomingMedia, index: number): Promise<Attachment> {
    const { policy } = this.options;
    const response = await this.download(item);
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      const message = `Twilio answered ${response.status} for the media`;
      throw response.status >= 500 || RETRYABLE_STATUS.has(response.status) ? new RetryableDeliveryError(message) : new PermanentDeliveryError(message);
    }
    const declared = Number(response.headers.get('content-length'));
    if (declared > policy.maxBytes) {
      await response.body.cancel();
      throw tooLarge(policy.maxBytes);
    }
    const bytes = await readAtMost(response.body, policy.maxBytes);
    try {
      const upload = await storeUpload(this.options.storage, policy, bytes, {
        name: `mms-${index + 1}`,
        contentType: response.headers.get('content-type') ?? item.contentType,
      });
      return attachmentOf(upload, this.options.publicUrl);
    } catch (error) {
      // The bytes' own faults (type, size, empty); a storage failure is retried.
      if (error instanceof AppError) throw new PermanentDeliveryError(error.message);
      throw error;
    }
  }

  /** Removes media stored for a message that is no longer there. */
  async discard(attachments: readonly Attachment[]): Promise<void> {
    const keys = attachments.flatMap((a) => (a.fileKey ? [a.fileKey] : []));
    await Promise.all(keys.map((key) => this.options.storage.remove(key)));
  }

  private async download(item: IncomingMedia): Promise<Response> {
    const { apiUrl, accountSid, authToken } = this.options;
    const origin = new URL(apiUrl).origin;
    if (!URL.canParse(item.url) || new URL(item.url).origin !== origin) throw new PermanentDeliveryError(`media URL is not on ${origin}`);
    try {
      return await fetch(item.url, {
        headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}` },
        redirect: 'follow',
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (error) {
      throw new RetryableDeliveryError(`the media could not be downloaded from Twilio: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function tooLarge(maxBytes: number): PermanentDeliveryError {
  return new PermanentDeliveryError(`the media is larger than ${maxBytes} bytes`);
}

/** Reads a body, giving up as soon as it passes the limit rather than after holding all of it. */
async function readAtMost(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
