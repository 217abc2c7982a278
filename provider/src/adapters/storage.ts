import { isCoveError, type StorageNode } from '@cove/sdk';
import { ProviderError } from '../errors.js';
import type { StoragePort } from '../ports.js';

/**
 * The SDK's Helia node as the provider's StoragePort; results it adds are pinned so
 * garbage collection keeps them.
 * @example
 * const storage = createStorageAdapter({ node });
 */
export function createStorageAdapter(params: { node: StorageNode; catTimeoutMs?: number }): StoragePort {
  const { node } = params;
  return {
    cat: (cid, options) => node.cat(cid, { timeoutMs: params.catTimeoutMs ?? 60_000, ...(options?.signal ? { signal: options.signal } : {}) }),
    async stat(cid, options) {
      try {
        return await node.stat(cid, options?.signal ? { signal: options.signal } : {});
      } catch (cause) {
        if (isCoveError(cause, 'STORAGE_NOT_UNIXFS')) throw new ProviderError('VALIDATION', `${cid} is not a UnixFS file or directory`, { details: { cid }, cause });
        throw cause;
      }
    },
    async fetch(cid, { signal, maxBytes, idleTimeoutMs, onProgress }) {
      try {
        return await node.fetch(cid, { maxBytes, ...(signal ? { signal } : {}), ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}), ...(onProgress ? { onProgress } : {}) });
      } catch (cause) {
        if (isCoveError(cause, 'STORAGE_TOO_LARGE')) throw new ProviderError('PIN_TOO_LARGE', `${cid} holds more than ${maxBytes} bytes`, { details: { cid, maxBytes }, cause });
        throw cause;
      }
    },
    pin: (cid, options) => node.pin(cid, options?.signal ? { signal: options.signal } : {}),
    dial: (address, options) => node.dial(address, options?.signal ? { signal: options.signal } : {}),
    async block(cid) {
      try {
        return await node.block(cid);
      } catch (cause) {
        if (isCoveError(cause, 'INVALID_CID')) throw new ProviderError('VALIDATION', 'not a CID', { details: { field: 'cid' }, cause });
        throw cause;
      }
    },
    async add(source, options) {
      const cid = await node.add(source instanceof Uint8Array ? [source] : source, options?.signal ? { signal: options.signal } : {});
      await node.pin(cid);
      return cid;
    },
  };
}
