import { isUtf8 } from 'node:buffer';
import { posix } from 'node:path';
import { fromBuffer } from 'file-type';
import { FileTooLargeError, UnsupportedFileTypeError, ValidationError } from '../errors';
import type { Attachment } from '../model/types';
import type { FileStorage } from '../ports/file-storage';

export interface UploadPolicy {
  maxBytes: number;
  /** MIME types, lower case; compared with the type read from the bytes. */
  allowedTypes: readonly string[];
}

export interface StoredUpload {
  fileKey: string;
  /** Read from the bytes, never the declared one. */
  contentType: string;
  name: string;
  size: number;
}

/** Types a browser would run script in when served from the hub's origin: refused whatever the settings say. */
const NEVER_STORED = new Set(['image/svg+xml', 'text/html', 'application/xhtml+xml', 'application/xml', 'text/xml']);

/** What bytes of no recognized type are called; allowing it in the settings lets them in. */
const UNKNOWN = 'application/octet-stream';

const MAX_NAME_LENGTH = 255;
const MAX_EXTENSION_LENGTH = 16;

/** The bare MIME type of a Content-Type value (`Text/Plain; charset=utf-8` → `text/plain`). */
function mimeOf(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/**
 * file-type recognizes binary formats by their magic bytes, not markup. Text that opens with a tag is
 * classified here as the browsers' MIME sniffing would see it, so it is refused rather than stored as text.
 */
function markupType(bytes: Buffer): string | undefined {
  const start = bytes.subarray(0, 4096).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (!start.startsWith('<')) return undefined;
  if (start.includes('<svg')) return 'image/svg+xml';
  if (/^<(!doctype\s+html|html|head|body|script|iframe|style|title|meta|div|table|a|b|p|h1|br|font|!--)[\s>/]/.test(start)) return 'text/html';
  return 'application/xml';
}

async function sniff(bytes: Buffer, declared: string | undefined): Promise<string> {
  const detected = await fromBuffer(bytes);
  // file-type calls anything after an XML prolog XML; an SVG is named as such in the refusal.
  if (detected?.mime === 'application/xml') return markupType(bytes) ?? detected.mime;
  if (detected) return detected.mime;
  // Text has no magic bytes: it is taken only when the sender says it is text and it really is.
  if (!isUtf8(bytes) || bytes.includes(0)) return UNKNOWN;
  const markup = markupType(bytes);
  if (markup) return markup;
  return declared === 'text/plain' ? 'text/plain' : UNKNOWN;
}

/** A name fit for a Content-Disposition header and a list: no folders, no control or bidi characters. */
export function sanitizeFileName(name: string | undefined): string {
  const clean = posix.basename((name ?? '').replace(/\\/g, '/'))
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim();
  if (clean === '' || /^\.+$/.test(clean)) return 'file';
  if (clean.length <= MAX_NAME_LENGTH) return clean;
  // Shortened from the middle, so that the extension still says what the file is.
  const dot = clean.lastIndexOf('.');
  const extension = dot > 0 && clean.length - dot <= MAX_EXTENSION_LENGTH ? clean.slice(dot) : '';
  let stem = '';
  for (const char of clean) {
    if (stem.length + char.length + extension.length > MAX_NAME_LENGTH) break;
    stem += char;
  }
  return stem + extension;
}

/**
 * Checks and stores one file (an API upload, a widget upload, an MMS picture). Its type is read from its
 * bytes; a type outside `allowedTypes`, and markup whatever the settings say, is refused.
 */
export async function storeUpload(storage: FileStorage, policy: UploadPolicy, bytes: Buffer, declared: { name?: string; contentType?: string }): Promise<StoredUpload> {
  if (bytes.length > policy.maxBytes) throw new FileTooLargeError(policy.maxBytes);
  if (bytes.length === 0) throw new ValidationError('The file is empty.', [{ path: '(body)', message: 'is empty', code: 'too_small' }]);
  const contentType = await sniff(bytes, mimeOf(declared.contentType));
  if (NEVER_STORED.has(contentType) || !policy.allowedTypes.includes(contentType)) throw new UnsupportedFileTypeError(contentType);
  const name = sanitizeFileName(declared.name);
  const fileKey = await storage.put(bytes, { contentType, name, size: bytes.length, createdAt: new Date().toISOString() });
  return { fileKey, contentType, name, size: bytes.length };
}

/** The attachment of a stored file; its `url` is the API's, for agents (channels hand out signed links). */
export function attachmentOf(upload: StoredUpload, publicUrl: string): Attachment {
  return {
    url: `${publicUrl}/api/v1/files/${upload.fileKey}`,
    contentType: upload.contentType,
    name: upload.name,
    size: upload.size,
    fileKey: upload.fileKey,
  };
}
