import type { Helia } from 'helia';
import { createUnsafe } from 'multiformats/block';
import type { CID } from 'multiformats/cid';
import { DataPlaneError, abortedError, throwIfAborted } from '../crypto/errors.js';
import { storageError } from './cat.js';

export type FetchParameters = {
  signal?: AbortSignal;
  /** Stop with `STORAGE_TOO_LARGE` once the blocks read exceed this many bytes. */
  maxBytes?: number;
  onProgress?: (p: { bytes: number }) => void;
};

async function readBlock(helia: Helia, cid: CID, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of helia.blockstore.get(cid, signal ? { signal } : {})) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * Reads every block of the DAG under `cid` (fetching missing ones from connected peers) and
 * counts their bytes as they arrive, whatever the root declares. A block linked twice counts
 * twice, so the count never undercounts what is stored. The count is checked after each
 * block, so at most one block beyond `maxBytes` is read. On any failure the blocks this call
 * brought in are deleted again through `removeUnpinned` (which keeps those pinned meanwhile).
 */
export async function fetchDag(params: { helia: Helia; cid: CID; removeUnpinned: (cid: CID) => Promise<void> } & FetchParameters): Promise<{ bytes: number }> {
  const { helia, cid, removeUnpinned, signal, maxBytes = Infinity, onProgress } = params;
  const pending: CID[] = [cid];
  const brought: CID[] = [];
  let bytes = 0;
  try {
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      throwIfAborted(signal);
      const fresh = !(await helia.blockstore.has(next));
      const block = await readBlock(helia, next, signal);
      if (fresh) brought.push(next);
      bytes += block.byteLength;
      onProgress?.({ bytes });
      if (bytes > maxBytes) throw new DataPlaneError('STORAGE_TOO_LARGE', `${cid} holds more than ${maxBytes} bytes`, { details: { cid: cid.toString(), maxBytes, bytesRead: bytes } });
      const links = [...createUnsafe({ cid: next, bytes: block, codec: await helia.getCodec(next.code) }).links()].map(([, link]) => link);
      for (let i = links.length - 1; i >= 0; i--) pending.push(links[i]!);
    }
    return { bytes };
  } catch (cause) {
    for (const block of brought) await removeUnpinned(block).catch(() => undefined);
    if (cause instanceof DataPlaneError) throw cause;
    if (signal?.aborted === true) throw abortedError(signal);
    throw storageError('STORAGE_FAILED', `fetching ${cid} failed`, cause);
  }
}
