import { createHash } from 'node:crypto';

/**
 * The canonical hash of a set of files, as the runner computes it for an algorithm's
 * `codeHash` and a job's `outputsHash`: sha256 over the lines `path + "\0" + sha256hex +
 * "\n"` sorted by the UTF-8 bytes of `path`; lowercase hex, no `0x`.
 *
 * @example
 * const outputsHash = '0x' + listingHash(manifest.files);
 */
export function listingHash(entries: ReadonlyArray<{ path: string; sha256: string }>): string {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const h = createHash('sha256');
  for (const e of sorted) h.update(`${e.path}\0${stripHex(e.sha256)}\n`);
  return h.digest('hex');
}

/** Lowercase hex without a `0x` prefix (hashes arrive with and without it). */
export function stripHex(hex: string): string {
  return hex.toLowerCase().replace(/^0x/, '');
}
