import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { OpenedFile } from '../core/ports/file-storage';

/** Shown inline by browsers; every other type is a download, so nothing stored is rendered as a page. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/**
 * Sends a stored file so that no browser runs it: its stored type and no sniffing, a sandbox without
 * any source, and a download unless it is a plain picture. `name` overrides the stored name.
 */
export async function sendStoredFile(req: Request, res: Response, file: OpenedFile, name = file.meta.name): Promise<void> {
  const { meta } = file;
  res.attachment(name);
  if (INLINE_TYPES.has(meta.contentType)) res.setHeader('Content-Disposition', res.get('Content-Disposition')?.replace(/^attachment/, 'inline') ?? 'inline');
  // After res.attachment, which guesses a type from the name's extension.
  res.setHeader('Content-Type', meta.contentType);
  res.setHeader('Content-Length', String(meta.size));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Cache-Control', 'private, max-age=300');
  res.status(200);
  try {
    await pipeline(file.stream, res);
  } catch (error) {
    // Usually the client went away mid-download; the response is already under way, so nothing to answer.
    req.log.debug({ err: error }, 'file download ended early');
  }
}
