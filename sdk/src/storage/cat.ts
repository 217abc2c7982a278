import { CID } from 'multiformats/cid';
import { DataPlaneError, abortedError, type DataPlaneErrorCode } from '../crypto/errors.js';

export type CidInput = CID | string;

/** Wraps a storage failure in a coded error. */
export function storageError(code: DataPlaneErrorCode, message: string, cause: unknown): DataPlaneError {
  return new DataPlaneError(code, message, { cause });
}

/** Parses a CID (text or object); `INVALID_CID` otherwise. */
export function parseCid(cid: CidInput): CID {
  if (typeof cid !== 'string') {
    const asCid = CID.asCID(cid);
    if (asCid !== null) return asCid;
    throw new DataPlaneError('INVALID_CID', 'not a CID');
  }
  try {
    return CID.parse(cid);
  } catch (cause) {
    throw new DataPlaneError('INVALID_CID', `not a CID: ${cid}`, { details: { cid }, cause });
  }
}

/** A file's bytes under `signal`, calling `onBlock` as each block arrives (the idle clock restarts). */
export type CatSource = (options: { signal: AbortSignal; onBlock: () => void }) => AsyncIterable<Uint8Array>;

type CatInternal = {
  source: CatSource;
  cid: CID;
  signal: AbortSignal | undefined;
  timeoutMs: number;
  onProgress: ((p: { bytes: number }) => void) | undefined;
};

/**
 * A file read (`source`, in practice {@link walkFile}) where `timeoutMs` bounds each wait for data rather than the whole transfer (a
 * large file over a slow link must not time out while it is still flowing). The clock is
 * paused while the consumer holds a chunk, so slow consumers never trigger it either.
 */
export async function* catWithIdleTimeout({ source, cid, signal, timeoutMs, onProgress }: CatInternal): AsyncGenerator<Uint8Array> {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const arm = () => {
    clearTimeout(timer);
    // A read-ahead block may arrive after the last chunk; a timer armed then would
    // outlive the read and keep the process alive for `timeoutMs`.
    if (ended) return;
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DataPlaneError('CID_NOT_FOUND', `no data for ${cid} within ${timeoutMs} ms`));
    }, timeoutMs);
  };
  const combined = signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]);
  let bytes = 0;
  arm();
  try {
    for await (const chunk of source({ signal: combined, onBlock: () => arm() })) {
      clearTimeout(timer);
      bytes += chunk.byteLength;
      onProgress?.({ bytes });
      yield chunk;
      arm();
    }
  } catch (cause) {
    if (signal?.aborted === true) throw abortedError(signal);
    if (timedOut) {
      throw new DataPlaneError('CID_NOT_FOUND', `${cid} could not be found within ${timeoutMs} ms`, { details: { cid: cid.toString(), timeoutMs }, cause });
    }
    if (cause instanceof DataPlaneError) throw cause;
    throw new DataPlaneError('STORAGE_FAILED', `reading ${cid} failed`, { details: { cid: cid.toString() }, cause });
  } finally {
    ended = true;
    clearTimeout(timer);
  }
}
