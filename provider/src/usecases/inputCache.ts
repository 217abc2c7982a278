import { constants, createReadStream } from 'node:fs';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmod, copyFile, link, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';

/** What a cached input is of: the ciphertext as the asset's document anchors it, and the key that opens it. */
export type InputCacheKey = { encryptedContentCid: string; contentHash: string; contentKey: Uint8Array };

export type InputCacheStats = { hits: number; misses: number; stored: number; evicted: number; rejected: number };

export type InputCache = {
  /**
   * Places a read-only copy (a hard link, or a copy across file systems) of the cached
   * plaintext at `dest` when there is one and it still hashes to `contentHash`; false otherwise.
   */
  take(key: InputCacheKey, dest: string): Promise<boolean>;
  /** Keeps `src` (already checked against `contentHash`) for later jobs, evicting the least recently used. */
  keep(key: InputCacheKey, src: string): Promise<void>;
  stats(): InputCacheStats;
};

const SUFFIX = '.plain';

/**
 * The entry's name: an HMAC under the dataset's content key of the anchored ciphertext CID and
 * content hash. Only a caller holding the key that opens that ciphertext can name it, so a
 * request that names someone else's CID or content hash with another key (or none) misses
 * and decrypts for itself, where a wrong key fails. The name reveals nothing of the key.
 */
export function inputCacheId(key: InputCacheKey): string {
  return createHmac('sha256', key.contentKey).update('cove-input-cache-v1\0').update(key.encryptedContentCid).update('\0').update(key.contentHash.toLowerCase()).digest('hex');
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return '0x' + hash.digest('hex');
}

/** A hard link, or a copy (a reflink where the file system has them) across file systems. */
async function place(src: string, dest: string): Promise<void> {
  try {
    await link(src, dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(src, dest, constants.COPYFILE_FICLONE);
    await chmod(dest, 0o444);
  }
}

/**
 * Decrypted job inputs kept on the provider's disk under `dir` (provider-private), at most
 * `maxBytes` in all (0: no cache), least recently used evicted first. Entries are files of
 * mode 0444 that jobs see through their workspace's read-only input mount; an entry is
 * re-hashed before each reuse, and one that no longer matches is deleted and reported as a miss.
 * @example
 * const cache = createInputCache({ dir: join(dataDir, 'input-cache'), maxBytes: 40 * 1024 ** 3 });
 */
export function createInputCache(params: { dir: string; maxBytes: number; logger?: { warn(o: object, m: string): void } }): InputCache {
  const { dir, maxBytes } = params;
  const counts: InputCacheStats = { hits: 0, misses: 0, stored: 0, evicted: 0, rejected: 0 };
  const entry = (key: InputCacheKey) => join(dir, inputCacheId(key) + SUFFIX);

  async function evictFor(incoming: number): Promise<void> {
    const all = await readdir(dir);
    // a keep cut short by a crash leaves its temporary link; one an hour old is no keep in progress
    for (const name of all.filter((n) => n.endsWith('.partial'))) {
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (s && Date.now() - s.ctimeMs > 3_600_000) await rm(join(dir, name), { force: true });
    }
    const names = all.filter((n) => n.endsWith(SUFFIX));
    const entries = [];
    for (const name of names) {
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (s) entries.push({ path: join(dir, name), bytes: s.size, used: s.mtimeMs });
    }
    entries.sort((a, b) => a.used - b.used);
    let total = entries.reduce((a, e) => a + e.bytes, 0);
    for (const e of entries) {
      if (total + incoming <= maxBytes) break;
      await rm(e.path, { force: true });
      total -= e.bytes;
      counts.evicted++;
    }
  }

  const warn = (err: unknown, what: string) => params.logger?.warn({ err, dir }, `input cache: ${what} failed; the job goes on without it`);

  const cache: InputCache = {
    async take(key, dest) {
      if (maxBytes === 0) return false;
      const path = entry(key);
      const s = await stat(path).catch(() => undefined);
      if (s === undefined) {
        counts.misses++;
        return false;
      }
      if ((await sha256File(path)) !== key.contentHash.toLowerCase()) {
        params.logger?.warn({ entry: path }, 'cached input no longer matches its content hash; deleted');
        await rm(path, { force: true });
        counts.rejected++;
        counts.misses++;
        return false;
      }
      const now = new Date();
      await utimes(path, now, now); // the recency eviction goes by
      await place(path, dest);
      counts.hits++;
      return true;
    },

    async keep(key, src) {
      if (maxBytes === 0) return;
      const { size } = await stat(src);
      if (size > maxBytes) return;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await evictFor(size);
      const temp = join(dir, `.${randomBytes(6).toString('hex')}.partial`);
      try {
        await chmod(src, 0o444); // the job's copy and the entry may be one inode: neither is writable
        await place(src, temp);
        await rename(temp, entry(key));
        counts.stored++;
      } finally {
        await rm(temp, { force: true });
      }
    },

    stats: () => ({ ...counts }),
  };
  // A cache that fails (a full disk, a file gone under it) costs a fetch, never the job.
  return {
    take: (key, dest) => cache.take(key, dest).catch(async (err: unknown) => (warn(err, 'reuse'), await rm(dest, { force: true }), false)),
    keep: (key, src) => cache.keep(key, src).catch((err: unknown) => warn(err, 'keeping an input')),
    stats: cache.stats,
  };
}
