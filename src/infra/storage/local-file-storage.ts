import { mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isFileKey, newFileKey, type FileStorage, type OpenedFile, type StoredFileMeta } from '../../core/ports/file-storage';

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

/**
 * Files under `<dataDir>/uploads`: the bytes in `<key>`, the metadata beside them in `<key>.json` (where
 * object storage would keep it as object metadata). Both are written to a temporary name and renamed, so
 * a reader or a crash never sees half a file; the metadata is written last and marks the file complete.
 * Every process that serves files must see the same folder.
 */
export class LocalFileStorage implements FileStorage {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'uploads');
  }

  async put(bytes: Buffer, meta: StoredFileMeta): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const key = newFileKey();
    await this.writeAtomically(key, bytes);
    try {
      await this.writeAtomically(`${key}.json`, JSON.stringify(meta));
    } catch (error) {
      await unlink(join(this.dir, key)).catch(() => undefined);
      throw error;
    }
    return key;
  }

  async describe(key: string): Promise<StoredFileMeta | undefined> {
    if (!isFileKey(key)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.dir, `${key}.json`), 'utf8')) as StoredFileMeta;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async open(key: string): Promise<OpenedFile | undefined> {
    const meta = await this.describe(key);
    if (!meta) return undefined;
    // Opened now rather than by the stream, so a missing data file is "not found", not a broken response.
    const handle = await open(join(this.dir, key), 'r').catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    return handle ? { meta, stream: handle.createReadStream() } : undefined;
  }

  async remove(key: string): Promise<void> {
    if (!isFileKey(key)) return;
    // Metadata first: without it the file is already gone for readers.
    for (const name of [`${key}.json`, key]) {
      await unlink(join(this.dir, name)).catch((error: unknown) => {
        if (!isMissing(error)) throw error;
      });
    }
  }

  private async writeAtomically(name: string, data: Buffer | string): Promise<void> {
    const temporary = join(this.dir, `.tmp-${newFileKey()}`);
    try {
      await writeFile(temporary, data, { flag: 'wx', flush: true });
      await rename(temporary, join(this.dir, name));
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  }
}
