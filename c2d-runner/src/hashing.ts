import { createHash } from 'node:crypto';

/** Hex sha256 of some bytes. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The canonical hash of a set of files: sha256 over the lines `path + "\0" + sha256hex +
 * "\n"`, sorted by the UTF-8 bytes of `path` (paths relative, `/`-separated). Both the
 * algorithm's `codeHash` and the outputs' `outputsHash` use it; `0x` is not prefixed.
 *
 * @example
 * listingHash([{ path: 'model.pkl', sha256: sha256Hex(bytes) }]) // '9f…'
 */
export function listingHash(entries: ReadonlyArray<{ path: string; sha256: string }>): string {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const h = createHash('sha256');
  for (const e of sorted) h.update(`${e.path}\0${e.sha256}\n`);
  return h.digest('hex');
}
