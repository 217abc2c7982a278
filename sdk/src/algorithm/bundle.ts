/**
 * The algorithm bundle: an algorithm's code files as one deterministic tar (the same
 * format as a result bundle), whose `codeHash` is the listing hash of its files. A
 * one-file algorithm is a bundle of one file.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { listingHash } from '../actions/audit/hashes.js';
import { ActionError } from '../actions/errors.js';
import { packBundleBytes, safeBundlePath } from '../results/bundle.js';

/** Files and bytes a bundle may hold at most (the provider may set lower limits). */
export const ALGORITHM_BUNDLE_LIMITS = { files: 1024, bytes: 64 * 1024 * 1024 } as const;

export type AlgorithmBundle = {
  /** The deterministic tar. */
  bytes: Buffer;
  /** Path → sha256 (hex) of each file, sorted by path. */
  files: { path: string; sha256: string; size: number }[];
  /** `listingHash` of `files`: the spec's `codeHash`. */
  codeHash: `0x${string}`;
};

/** The code hash of files (path → bytes), as the runner computes it over its algorithm directory. */
export function codeHashOf(files: ReadonlyMap<string, Uint8Array>): `0x${string}` {
  return listingHash([...files].map(([path, data]) => ({ path, sha256: createHash('sha256').update(data).digest('hex') })));
}

/**
 * Packs files (path → bytes) into an algorithm bundle; paths must be safe relative paths.
 *
 * @example
 * const bundle = bundleFiles(new Map([['train.py', code]]));
 */
export function bundleFiles(files: ReadonlyMap<string, Uint8Array>): AlgorithmBundle {
  if (files.size === 0) throw new ActionError('INVALID_PARAMS', 'an algorithm needs at least one file');
  if (files.size > ALGORITHM_BUNDLE_LIMITS.files) throw new ActionError('INVALID_PARAMS', `an algorithm holds at most ${ALGORITHM_BUNDLE_LIMITS.files} files`);
  let total = 0;
  for (const [path, data] of files) {
    if (safeBundlePath(path) === undefined) throw new ActionError('INVALID_PARAMS', `not a safe relative path: ${path}`, { details: { path } });
    total += data.byteLength;
  }
  if (total > ALGORITHM_BUNDLE_LIMITS.bytes) throw new ActionError('INVALID_PARAMS', `an algorithm holds at most ${ALGORITHM_BUNDLE_LIMITS.bytes} bytes`);
  const listed = [...files]
    .map(([path, data]) => ({ path, sha256: createHash('sha256').update(data).digest('hex'), size: data.byteLength }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  return { bytes: packBundleBytes(files), files: listed, codeHash: listingHash(listed) };
}

/**
 * Reads a directory (recursively; regular files only, a symlink or device is refused) or a
 * single file into an algorithm bundle. A single file is bundled under its base name.
 *
 * @example
 * const { bytes, codeHash } = await bundleDirectory('./fl-train');
 */
export async function bundleDirectory(path: string): Promise<AlgorithmBundle> {
  const st = await lstat(path).catch((cause: NodeJS.ErrnoException) => {
    throw new ActionError('INVALID_PARAMS', `algorithm not found: ${path}`, { details: { path, code: cause.code }, cause });
  });
  const files = new Map<string, Uint8Array>();
  if (st.isFile()) {
    files.set(path.split(sep).at(-1)!, await readFile(path));
    return bundleFiles(files);
  }
  if (!st.isDirectory()) throw new ActionError('INVALID_PARAMS', `algorithm must be a file or a directory: ${path}`);
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        if (files.size >= ALGORITHM_BUNDLE_LIMITS.files) throw new ActionError('INVALID_PARAMS', `an algorithm holds at most ${ALGORITHM_BUNDLE_LIMITS.files} files`);
        files.set(relative(path, full).split(sep).join('/'), await readFile(full));
      } else throw new ActionError('INVALID_PARAMS', `not a regular file or directory: ${full}`, { details: { path: full } });
    }
  };
  await walk(path);
  return bundleFiles(files);
}
