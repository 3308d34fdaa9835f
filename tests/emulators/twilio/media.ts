import type { FetchedMedia } from './types';

/** Media served by the emulator itself, like the files behind Twilio's inbound MMS MediaUrls. */
export interface StoredMedia {
  contentType: string;
  bytes: Buffer;
}

const DOWNLOAD_TIMEOUT_MS = 5000;

/**
 * Twilio downloads every MediaUrl while accepting an MMS, without credentials; doing the same lets
 * tests see whether the hub's media links are reachable and serve the right bytes. Failures are
 * recorded, not thrown, because Twilio still accepts the message (it fails later, asynchronously).
 */
export async function downloadMedia(url: string): Promise<FetchedMedia> {
  try {
    const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    const bytes = Buffer.from(await response.arrayBuffer());
    return { url, status: response.status, contentType: response.headers.get('content-type'), bytes };
  } catch {
    return { url, status: 0, contentType: null, bytes: Buffer.alloc(0) };
  }
}
