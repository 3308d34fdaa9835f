import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

/** What the hub knows about a stored file besides its bytes. */
export interface StoredFileMeta {
  /** The type read from the bytes when the file was stored, never the one the sender claimed. */
  contentType: string;
  name: string;
  size: number;
  /** ISO 8601. */
  createdAt: string;
}

export interface OpenedFile {
  meta: StoredFileMeta;
  stream: Readable;
}

/**
 * Where uploaded files live (a folder here; object storage later). Keys are random and chosen by the
 * storage, so a file's name never becomes a path and one file cannot be guessed from another.
 */
export interface FileStorage {
  /** Stores the bytes and returns the new file's key. */
  put(bytes: Buffer, meta: StoredFileMeta): Promise<string>;
  /** What is known about a file without reading it, or undefined when no file has this key. */
  describe(key: string): Promise<StoredFileMeta | undefined>;
  /** The file, or undefined when no file has this key (including keys of the wrong shape). */
  open(key: string): Promise<OpenedFile | undefined>;
  /** Removes the file; a missing one is not an error. */
  remove(key: string): Promise<void>;
}

/** 128 random bits, hex: also safe as a file name, a URL segment and an S3 object key. */
export const FILE_KEY_PATTERN = /^[0-9a-f]{32}$/;

export function newFileKey(): string {
  return randomBytes(16).toString('hex');
}

/** Checked before a key reaches a path or a query, so `../../etc/passwd` never does. */
export function isFileKey(value: string): boolean {
  return FILE_KEY_PATTERN.test(value);
}
