import type { StorageNode } from '@cove/sdk';
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
    pin: (cid, options) => node.pin(cid, options?.signal ? { signal: options.signal } : {}),
    dial: (address, options) => node.dial(address, options?.signal ? { signal: options.signal } : {}),
    async add(source, options) {
      const cid = await node.add(source instanceof Uint8Array ? [source] : source, options?.signal ? { signal: options.signal } : {});
      await node.pin(cid);
      return cid;
    },
  };
}
