import type { Helia } from 'helia';
import { createUnsafe } from 'multiformats/block';
import type { CID } from 'multiformats/cid';
import { DataPlaneError, abortedError, throwIfAborted } from '../crypto/errors.js';
import { storageError } from './cat.js';

/** Blocks a `fetch` requests at once by default: 32 MiB in flight with 1 MiB blocks. */
export const FETCH_WINDOW_BLOCKS = 32;

/** Default longest wait with no block arriving during a `fetch`. */
export const DEFAULT_FETCH_IDLE_TIMEOUT_MS = 30_000;

/** `bytes`: every block read so far (local or fetched); `fetchedBytes`: those that came from peers. */
export type FetchProgress = { bytes: number; fetchedBytes: number };

export type FetchParameters = {
  signal?: AbortSignal;
  /** Stop with `STORAGE_TOO_LARGE` once the blocks read exceed this many bytes. */
  maxBytes?: number;
  /**
   * Longest wait with no block arriving (`CID_NOT_FOUND`), however long the whole transfer
   * takes. Default {@link DEFAULT_FETCH_IDLE_TIMEOUT_MS}.
   */
  idleTimeoutMs?: number;
  /** Blocks requested at once (default {@link FETCH_WINDOW_BLOCKS}); bounds memory to about this many blocks. */
  window?: number;
  onProgress?: (p: FetchProgress) => void;
};

/** `blocks`: blocks read; `fetchedBytes`: bytes of the blocks that were not stored here before the call. */
export type FetchResult = FetchProgress & { blocks: number };

/** One block's bytes, from the blockstore or (when missing) from connected peers. */
export async function readBlock(helia: Helia, cid: CID, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of helia.blockstore.get(cid, signal ? { signal } : {})) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * Reads every block of the DAG under `cid` into the blockstore, fetching missing ones from
 * connected peers with up to `window` requests in flight (Helia verifies each block against
 * its CID before storing it). Blocks already stored are read from disk, never requested, so
 * a fetch interrupted by a timeout or an abort resumes where it stopped when called again.
 * The bytes of each block are counted as it arrives, whatever the root declares; a block
 * linked twice counts twice, so the count never undercounts what is stored. Past `maxBytes`
 * it stops with `STORAGE_TOO_LARGE` (at most `window` blocks beyond) and deletes the blocks
 * this call brought in through `removeUnpinned` (refused content is not kept). Other
 * failures keep what arrived, verified, for the next attempt.
 */
export async function fetchDag(params: { helia: Helia; cid: CID; removeUnpinned: (cid: CID) => Promise<void> } & FetchParameters): Promise<FetchResult> {
  const { helia, cid, removeUnpinned, signal, maxBytes = Infinity, onProgress } = params;
  const idleTimeoutMs = params.idleTimeoutMs ?? DEFAULT_FETCH_IDLE_TIMEOUT_MS;
  const window = Math.max(1, Math.floor(params.window ?? FETCH_WINDOW_BLOCKS));
  throwIfAborted(signal);
  const stop = new AbortController();
  const combined = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
  let idle = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      idle = true;
      stop.abort(new Error('idle timeout'));
    }, idleTimeoutMs);
  };
  const pending: CID[] = [cid];
  const inflight = new Set<Promise<void>>();
  const brought: CID[] = [];
  const progress: FetchResult = { bytes: 0, fetchedBytes: 0, blocks: 0 };
  let failure: { error: unknown } | undefined;

  const visit = async (next: CID): Promise<void> => {
    const fresh = !(await helia.blockstore.has(next));
    const block = await readBlock(helia, next, combined);
    arm();
    if (fresh) {
      brought.push(next);
      progress.fetchedBytes += block.byteLength;
    }
    progress.bytes += block.byteLength;
    progress.blocks++;
    onProgress?.({ bytes: progress.bytes, fetchedBytes: progress.fetchedBytes });
    if (progress.bytes > maxBytes) throw new DataPlaneError('STORAGE_TOO_LARGE', `${cid} holds more than ${maxBytes} bytes`, { details: { cid: cid.toString(), maxBytes, bytesRead: progress.bytes } });
    const links = [...createUnsafe({ cid: next, bytes: block, codec: await helia.getCodec(next.code) }).links()].map(([, link]) => link);
    // a stack, children reversed: requests go out in file order, depth first
    for (let i = links.length - 1; i >= 0; i--) pending.push(links[i]!);
  };

  arm();
  try {
    while (failure === undefined && (pending.length > 0 || inflight.size > 0)) {
      while (failure === undefined && pending.length > 0 && inflight.size < window) {
        const task: Promise<void> = visit(pending.pop()!)
          .catch((error: unknown) => {
            if (failure === undefined) {
              failure = { error };
              stop.abort(error);
            }
          })
          .finally(() => inflight.delete(task));
        inflight.add(task);
      }
      if (inflight.size > 0) await Promise.race(inflight);
    }
    await Promise.allSettled([...inflight]);
  } finally {
    clearTimeout(timer);
  }
  if (failure === undefined) return progress;
  const cause = failure.error;
  if (cause instanceof DataPlaneError && cause.code === 'STORAGE_TOO_LARGE') {
    for (const block of brought) await removeUnpinned(block).catch(() => undefined);
    throw cause;
  }
  if (signal?.aborted === true) throw abortedError(signal);
  const details = { cid: cid.toString(), bytesRead: progress.bytes, fetchedBytes: progress.fetchedBytes };
  if (idle) throw new DataPlaneError('CID_NOT_FOUND', `no block of ${cid} arrived within ${idleTimeoutMs} ms (after ${progress.bytes} bytes)`, { details: { ...details, idleTimeoutMs }, cause });
  if (cause instanceof DataPlaneError) throw cause;
  throw storageError('STORAGE_FAILED', `fetching ${cid} failed`, cause);
}
