import type { TypedDataDomain } from 'ethers';
import { ProviderError } from '../errors.js';
import { PIN_REQUEST_TYPES, type PinRequestMessage } from '@cove/sdk';
import { checkExpiry, recoverSigner } from '../auth/verify.js';
import type { Store } from '../db/store.js';
import type { StoragePort } from '../ports.js';

export type PinContentDeps = {
  store: Pick<Store, 'lastNonce' | 'accept'>;
  storage: Pick<StoragePort, 'pin' | 'dial'>;
  domain: TypedDataDomain;
  maxTtlSeconds: number;
  timeoutMs?: number;
  clock?: () => number;
};

/**
 * A publisher's signed request to fetch `cids` from its node (`from`) and pin them here, so
 * it may go offline once published. The nonce is consumed before any fetch, so a request
 * cannot be replayed while it runs. Each CID is pinned within `timeoutMs` or the request
 * fails with UNAVAILABLE.
 * @example
 * await pinContent(deps, { request, signature });
 */
export async function pinContent(deps: PinContentDeps, params: { request: PinRequestMessage; signature: string }): Promise<{ pinned: string[] }> {
  const { request, signature } = params;
  const clock = deps.clock ?? Date.now;
  checkExpiry({ expiry: request.expiry, nowSeconds: Math.floor(clock() / 1000), maxTtlSeconds: deps.maxTtlSeconds });
  const signer = recoverSigner({ domain: deps.domain, types: PIN_REQUEST_TYPES, message: request, signature });
  if (signer.toLowerCase() !== request.publisher.toLowerCase()) throw new ProviderError('SIGNATURE_INVALID', 'signature is not by the publisher named in the request');
  deps.store.accept({ address: signer, nonce: BigInt(request.nonce), orders: [] });
  const signal = AbortSignal.timeout(deps.timeoutMs ?? 60_000);
  for (const addr of request.from) await deps.storage.dial(addr, { signal }).catch(() => {});
  try {
    for (const cid of request.cids) await deps.storage.pin(cid, { signal });
  } catch (cause) {
    throw new ProviderError('UNAVAILABLE', 'could not fetch the content to pin from the given peers', { details: { cids: request.cids }, cause });
  }
  return { pinned: request.cids };
}
