import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { throwIfAborted } from './types.js';

/** Result files: path (relative, `/`-separated) → bytes, or a directory to read them from. */
export type ResultFilesInput = ReadonlyMap<string, Uint8Array> | string;

/** Lowercase hex without `0x`, for comparing hashes written either way. */
export function bareHex(hash: string): string {
  return hash.toLowerCase().replace(/^0x/, '');
}

/** True when two hashes are equal ignoring case and a `0x` prefix. */
export function sameHash(a: string, b: string): boolean {
  return bareHex(a) === bareHex(b);
}

/**
 * The runner's listing hash (outputsHash, codeHash): sha256 over the lines
 * `path + "\0" + sha256hex + "\n"` sorted by the UTF-8 bytes of `path`, as `0x` + hex.
 *
 * @example
 * listingHash([{ path: 'model.json', sha256: 'ab…' }]); // '0x…'
 */
export function listingHash(entries: ReadonlyArray<{ path: string; sha256: string }>): `0x${string}` {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8')));
  const h = createHash('sha256');
  for (const e of sorted) h.update(`${e.path}\0${bareHex(e.sha256)}\n`);
  return `0x${h.digest('hex')}`;
}

/**
 * The receipt's `algorithmImageDigest` (bytes32) as a compute policy image ID: the
 * provider writes the 32-byte digest of the image ID `sha256:<hex>` as `0x<hex>`.
 *
 * @example
 * imageIdOf('0xab…'); // 'sha256:ab…'
 */
export function imageIdOf(digest: string): `sha256:${string}` {
  return `sha256:${bareHex(digest)}`;
}

/**
 * Hashes result files for `listingHash`. A directory is walked recursively; anything but
 * regular files and directories (a symlink, a FIFO) is refused, as the runner refuses it.
 *
 * @example
 * const entries = await hashResultFiles('./results', {});
 */
export async function hashResultFiles(input: ResultFilesInput, params: { signal?: AbortSignal }): Promise<{ path: string; sha256: string; size: number }[]> {
  const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  if (typeof input !== 'string') {
    return [...input].map(([path, bytes]) => ({ path, sha256: digest(bytes), size: bytes.byteLength }));
  }
  const out: { path: string; sha256: string; size: number }[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      throwIfAborted(params.signal);
      const full = join(dir, entry.name);
      const st = await lstat(full);
      if (st.isDirectory()) await walk(full);
      else if (st.isFile()) {
        const bytes = await readFile(full);
        out.push({ path: relative(input, full).split(sep).join('/'), sha256: digest(bytes), size: bytes.byteLength });
      } else throw new Error(`${relative(input, full)} is not a regular file`);
    }
  };
  await walk(input);
  return out;
}
