import type { TypedDataDomain } from 'ethers';
import { isProviderError, ProviderError } from '../errors.js';
import { PIN_REQUEST_TYPES, type PinRequestMessage } from '@cove/sdk';
import { checkExpiry, recoverSigner } from '../auth/verify.js';
import type { Store } from '../db/store.js';
import type { StoragePort } from '../ports.js';
import { dialTargets, type ResolveHost } from './pinAddresses.js';

export type PinContentDeps = {
  store: Pick<Store, 'lastNonce' | 'accept'>;
  storage: Pick<StoragePort, 'stat' | 'fetch' | 'pin' | 'dial'>;
  domain: TypedDataDomain;
  maxTtlSeconds: number;
  /** The most one request may store, summed over its CIDs (`COVE_PIN_MAX_BYTES`). */
  maxBytes: number;
  /** Dial loopback, private and other non-public `from` addresses (`COVE_PIN_ALLOW_PRIVATE_ADDRESSES`); default false. */
  allowPrivateAddresses?: boolean;
  /** Resolves `/dns*` names (default: the system resolver). */
  resolveHost?: ResolveHost;
  timeoutMs?: number;
  clock?: () => number;
  /** Rate limit by verified signer: throws RATE_LIMITED; called right after the signature verifies. */
  admitSigner?: (signer: string) => void;
};

/**
 * A publisher's signed request to fetch `cids` from its node (`from`) and pin them here, so
 * it may go offline once published. The nonce is consumed before any fetch, so a request
 * cannot be replayed while it runs. The size cap is checked twice: first against what each
 * root declares (one block each, `PIN_TOO_LARGE` before anything else is fetched), then
 * against the bytes of the blocks actually fetched (a root may under-declare). Nothing is
 * pinned until every DAG has arrived within the cap, so a refusal leaves no pin behind.
 * Only public `from` addresses are dialed unless the operator allows private ones (see
 * {@link dialTargets}); when some were given and none may be dialed, PIN_ADDRESS_REFUSED
 * and nothing is dialed.
 * Everything happens within `timeoutMs` or the request fails with UNAVAILABLE.
 * @example
 * await pinContent(deps, { request, signature });
 */
export async function pinContent(deps: PinContentDeps, params: { request: PinRequestMessage; signature: string }): Promise<{ pinned: string[] }> {
  const { request, signature } = params;
  const clock = deps.clock ?? Date.now;
  const { maxBytes } = deps;
  checkExpiry({ expiry: request.expiry, nowSeconds: Math.floor(clock() / 1000), maxTtlSeconds: deps.maxTtlSeconds });
  const signer = recoverSigner({ domain: deps.domain, types: PIN_REQUEST_TYPES, message: request, signature });
  if (signer.toLowerCase() !== request.publisher.toLowerCase()) throw new ProviderError('SIGNATURE_INVALID', 'signature is not by the publisher named in the request');
  deps.admitSigner?.(signer);
  deps.store.accept({ address: signer, nonce: BigInt(request.nonce), orders: [] });
  const signal = AbortSignal.timeout(deps.timeoutMs ?? 60_000);
  const targets = await dialTargets(request.from, { allowPrivate: deps.allowPrivateAddresses ?? false, signal, ...(deps.resolveHost ? { resolve: deps.resolveHost } : {}) }).catch((cause: unknown) => {
    throw new ProviderError('UNAVAILABLE', 'could not resolve the given peers in time', { cause });
  });
  if (request.from.length > 0 && targets.dial.length === 0) {
    throw new ProviderError('PIN_ADDRESS_REFUSED', 'none of the `from` addresses may be dialed: this provider dials only public /ip4, /ip6 or /dns* TCP addresses', { details: { refused: targets.refused } });
  }
  for (const addr of targets.dial) await deps.storage.dial(addr, { signal }).catch(() => {});
  try {
    let declared = 0;
    for (const cid of request.cids) declared += (await deps.storage.stat(cid, { signal })).bytes;
    if (declared > maxBytes) throw new ProviderError('PIN_TOO_LARGE', `the content declares ${declared} bytes, over this provider's cap of ${maxBytes}`, { details: { declaredBytes: declared, maxBytes } });
    let fetched = 0;
    for (const cid of request.cids) {
      const got = await deps.storage.fetch(cid, { signal, maxBytes: maxBytes - fetched }).catch((e: unknown) => {
        if (!isProviderError(e, 'PIN_TOO_LARGE')) throw e;
        throw new ProviderError('PIN_TOO_LARGE', `the content holds more than this provider's cap of ${maxBytes} bytes (it declares ${declared})`, { details: { declaredBytes: declared, maxBytes }, cause: e });
      });
      fetched += got.bytes;
    }
    for (const cid of request.cids) await deps.storage.pin(cid, { signal });
  } catch (cause) {
    if (isProviderError(cause)) throw cause;
    throw new ProviderError('UNAVAILABLE', 'could not fetch the content to pin from the given peers', { details: { cids: request.cids }, cause });
  }
  return { pinned: request.cids };
}
