import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';

/** Shown inline by browsers; every other type is a download, so nothing stored is rendered as a page. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export interface Download {
  name: string;
  /** The type the hub stored (read from the bytes), never one a sender claimed. */
  contentType: string;
  size: number;
  body: Readable | Buffer;
}

/**
 * Sends bytes someone else made (an upload, a received mail) so that no browser runs them: their stored
 * type and no sniffing, a sandbox without any source, and a download unless it is a plain picture.
 */
export async function sendDownload(req: Request, res: Response, download: Download): Promise<void> {
  res.attachment(download.name);
  if (INLINE_TYPES.has(download.contentType)) res.setHeader('Content-Disposition', res.get('Content-Disposition')?.replace(/^attachment/, 'inline') ?? 'inline');
  // After res.attachment, which guesses a type from the name's extension.
  res.setHeader('Content-Type', download.contentType);
  res.setHeader('Content-Length', String(download.size));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Cache-Control', 'private, max-age=300');
  res.status(200);
  if (Buffer.isBuffer(download.body)) {
    res.end(download.body);
    return;
  }
  try {
    await pipeline(download.body, res);
  } catch (error) {
    // Usually the client went away mid-download; the response is already under way, so nothing to answer.
    req.log.debug({ err: error }, 'file download ended early');
  }
}

/**
 * A transcript as a download (`transcript-<id>.html` or `.txt`): opened from disk or in a tab, the page
 * runs nothing and loads nothing, its own inline styles only.
 */
export function sendTranscript(res: Response, conversationId: string, transcript: { format: 'html' | 'txt'; text: string }): void {
  res.setHeader('Content-Type', transcript.format === 'html' ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="transcript-${conversationId}.${transcript.format}"`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
  res.status(200).send(transcript.text);
}
