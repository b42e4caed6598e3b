/**
 * BlobStore over a local directory, for the command line (`--archive DIR`): the same layout as the
 * S3 archive, one file per key, so a history can be kept on disk, inspected with ordinary tools,
 * or copied to and from the bucket (`aws s3 sync`). A read with `maxBytes` checks the file's size
 * before reading it, so an oversized file is refused without being loaded.
 */
import { mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { type BlobStore, BlobTooLargeError } from '../ports';

export function createDirectoryBlobStore(root: string): BlobStore {
  const pathOf = (key: string): string => {
    const path = join(root, ...key.split('/'));
    // Keys come from our own layout; refuse anything that would leave the directory.
    if (relative(root, path).startsWith('..')) throw new Error(`archive key ${key} leaves ${root}`);
    return path;
  };

  async function walk(dir: string): Promise<string[]> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: string[] = [];
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) out.push(...(await walk(path)));
      else if (entry.isFile()) out.push(relative(root, path).split(sep).join('/'));
    }
    return out;
  }

  return {
    location: root,
    async list(prefix) {
      // Walk only the deepest directory the prefix names, then filter by the rest of it.
      const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      const keys = await walk(dir ? pathOf(dir) : root);
      return keys.filter((k) => k.startsWith(prefix));
    },
    async get(key, options) {
      let file: import('node:fs/promises').FileHandle;
      try {
        file = await open(pathOf(key), 'r');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR') return undefined;
        throw error;
      }
      try {
        const max = options?.maxBytes;
        if (max === undefined) return await file.readFile();
        // The size of the open file: the bytes read below are those of the file it measures.
        const { size } = await file.stat();
        if (size > max) throw new BlobTooLargeError(key, size, max);
        // One byte more than it measured: a file that grew since fills it, and is not taken half-read.
        const buffer = Buffer.alloc(size + 1);
        let length = 0;
        while (length < buffer.length) {
          const { bytesRead } = await file.read(buffer, length, buffer.length - length, length);
          if (bytesRead === 0) break;
          length += bytesRead;
        }
        if (length > size) throw new Error(`archive file ${key} changed while it was read`);
        return buffer.subarray(0, length);
      } finally {
        await file.close();
      }
    },
    async put(key, body) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, body);
    },
  };
}
