import { CoveError } from '../errors.js';

/** Every code the data plane (envelope, key sealing, keys, storage, asset documents) throws. */
export type DataPlaneErrorCode =
  | 'ENVELOPE_BAD_PARAMS'
  | 'ENVELOPE_BAD_HEADER'
  | 'ENVELOPE_UNKNOWN_VERSION'
  | 'ENVELOPE_BAD_KEY'
  | 'ENVELOPE_TAMPERED'
  | 'ENVELOPE_TRUNCATED'
  | 'ENVELOPE_EXTENDED'
  | 'CONTENT_HASH_MISMATCH'
  | 'SEAL_BAD_FORMAT'
  | 'SEAL_OPEN_FAILED'
  | 'SEAL_BAD_BINDING'
  | 'INVALID_KEY'
  | 'KEY_FILE_PERMISSIONS'
  | 'KEY_FILE_NOT_FOUND'
  | 'INVALID_CID'
  | 'CID_NOT_FOUND'
  | 'STORAGE_DIAL_FAILED'
  | 'STORAGE_FAILED'
  | 'STORAGE_NOT_UNIXFS'
  | 'STORAGE_TOO_LARGE'
  | 'INVALID_DOCUMENT'
  | 'DOCUMENT_HASH_MISMATCH'
  | 'ABORTED';

/** Error thrown by the data plane; match on `code`. */
export class DataPlaneError extends CoveError<DataPlaneErrorCode> {
  override name = 'DataPlaneError';
}

/** Throws `ABORTED` (with the signal's reason as `cause`) when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortedError(signal);
}

/** The `ABORTED` error for a fired signal. */
export function abortedError(signal: AbortSignal): DataPlaneError {
  return new DataPlaneError('ABORTED', 'operation aborted', { cause: signal.reason });
}
