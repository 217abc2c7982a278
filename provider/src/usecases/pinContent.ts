import type { TypedDataDomain } from 'ethers';
import { isProviderError, ProviderError } from '../errors.js';
import { envelopeSize, isCoveError, MAX_DOCUMENT_BYTES, PIN_REQUEST_TYPES, unixfsOverheadBound, type PinRequestMessage } from '@cove/sdk';
import { checkExpiry, recoverSigner } from '../auth/verify.js';
import type { Store } from '../db/store.js';
import type { StoragePort } from '../ports.js';
import { dialTargets, type ResolveHost } from './pinAddresses.js';

export type PinContentDeps = {
  store: Pick<Store, 'lastNonce' | 'accept'>;
  storage: Pick<StoragePort, 'stat' | 'fetch' | 'pin' | 'dial'>;
  domain: TypedDataDomain;
  maxTtlSeconds: number;
  /**
   * The largest dataset (plaintext bytes) one request may carry (`COVE_PIN_MAX_BYTES`). What
   * is enforced is what that dataset occupies once stored, {@link pinStoredLimit}.
   */
  maxBytes: number;
  /** Dial loopback, private and other non-public `from` addresses (`COVE_PIN_ALLOW_PRIVATE_ADDRESSES`); default false. */
  allowPrivateAddresses?: boolean;
  /** Resolves `/dns*` names (default: the system resolver). */
  resolveHost?: ResolveHost;
  /** Longest wait with no progress (a root's size, a block) before PIN_IDLE_TIMEOUT; default 60 s. */
  idleTimeoutMs?: number;
  clock?: () => number;
  /** Rate limit by verified signer: throws RATE_LIMITED; called right after the signature verifies. */
  admitSigner?: (signer: string) => void;
};

/** Default longest wait with no block arriving during a pin. */
export const PIN_IDLE_TIMEOUT_MS = 60_000;

/**
 * The stored bytes a pin request may bring for a cap of `maxPlaintextBytes`: the envelope of
 * a dataset of that size (header and per-chunk tags), its UnixFS DAG's inner nodes, and the
 * asset document pinned alongside it.
 */
export function pinStoredLimit(maxPlaintextBytes: number): number {
  const sealed = envelopeSize(maxPlaintextBytes);
  return sealed + unixfsOverheadBound(sealed) + MAX_DOCUMENT_BYTES;
}

export type PinProgress = { bytes: number; declaredBytes: number };

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
 * Deadlines are idle ones (no progress for `idleTimeoutMs`), so a large transfer that keeps
 * moving never times out. A transfer that stalls is PIN_IDLE_TIMEOUT, or PIN_SOURCE_UNREACHABLE
 * when no `from` address could be dialed; what arrived stays (unpinned), so a new request for
 * the same CIDs resumes without fetching it again. `onProgress` reports the bytes stored so far.
 * @example
 * await pinContent(deps, { request, signature });
 */
export async function pinContent(
  deps: PinContentDeps,
  params: { request: PinRequestMessage; signature: string; signal?: AbortSignal; onProgress?: (p: PinProgress) => void },
): Promise<{ pinned: string[] }> {
  const { request, signature, onProgress } = params;
  const clock = deps.clock ?? Date.now;
  const maxBytes = pinStoredLimit(deps.maxBytes);
  const idleTimeoutMs = deps.idleTimeoutMs ?? PIN_IDLE_TIMEOUT_MS;
  checkExpiry({ expiry: request.expiry, nowSeconds: Math.floor(clock() / 1000), maxTtlSeconds: deps.maxTtlSeconds });
  const signer = recoverSigner({ domain: deps.domain, types: PIN_REQUEST_TYPES, message: request, signature });
  if (signer.toLowerCase() !== request.publisher.toLowerCase()) throw new ProviderError('SIGNATURE_INVALID', 'signature is not by the publisher named in the request');
  deps.admitSigner?.(signer);
  deps.store.accept({ address: signer, nonce: BigInt(request.nonce), orders: [] });
  // each step that waits on the network gets its own idle deadline
  const step = () => (params.signal ? AbortSignal.any([params.signal, AbortSignal.timeout(idleTimeoutMs)]) : AbortSignal.timeout(idleTimeoutMs));
  const targets = await dialTargets(request.from, { allowPrivate: deps.allowPrivateAddresses ?? false, signal: step(), ...(deps.resolveHost ? { resolve: deps.resolveHost } : {}) }).catch((cause: unknown) => {
    throw new ProviderError('UNAVAILABLE', 'could not resolve the given peers in time', { cause });
  });
  if (request.from.length > 0 && targets.dial.length === 0) {
    throw new ProviderError('PIN_ADDRESS_REFUSED', 'none of the `from` addresses may be dialed: this provider dials only public /ip4, /ip6 or /dns* TCP addresses', { details: { refused: targets.refused } });
  }
  const dialErrors: string[] = [];
  for (const addr of targets.dial) await deps.storage.dial(addr, { signal: step() }).catch((e: unknown) => dialErrors.push(`${addr}: ${(e as Error).message}`));
  const unreachable = targets.dial.length > 0 && dialErrors.length === targets.dial.length;
  const limits = { maxBytes, maxPlaintextBytes: deps.maxBytes };
  let declared = 0;
  try {
    for (const cid of request.cids) declared += (await deps.storage.stat(cid, { signal: step() })).bytes;
    if (declared > maxBytes) throw new ProviderError('PIN_TOO_LARGE', `the content declares ${declared} bytes, over this provider's limit of ${maxBytes} (a ${deps.maxBytes}-byte dataset with its envelope)`, { details: { declaredBytes: declared, ...limits } });
    let fetched = 0;
    for (const cid of request.cids) {
      const got = await deps.storage
        .fetch(cid, { ...(params.signal ? { signal: params.signal } : {}), maxBytes: maxBytes - fetched, idleTimeoutMs, onProgress: (p) => onProgress?.({ bytes: fetched + p.bytes, declaredBytes: declared }) })
        .catch((e: unknown) => {
          if (!isProviderError(e, 'PIN_TOO_LARGE')) throw e;
          throw new ProviderError('PIN_TOO_LARGE', `the content holds more than this provider's limit of ${maxBytes} bytes (it declares ${declared})`, { details: { declaredBytes: declared, ...limits }, cause: e });
        });
      fetched += got.bytes;
    }
    for (const cid of request.cids) await deps.storage.pin(cid, params.signal ? { signal: params.signal } : {});
  } catch (cause) {
    if (isProviderError(cause)) throw cause;
    const details = { cids: request.cids, declaredBytes: declared };
    if (unreachable) throw new ProviderError('PIN_SOURCE_UNREACHABLE', `none of the given peers could be dialed (${dialErrors.join('; ')})`, { details: { ...details, dialErrors }, cause });
    // a step's own idle deadline fired (not the caller's signal): a stall
    if (isCoveError(cause, 'CID_NOT_FOUND') || (isCoveError(cause, 'ABORTED') && params.signal?.aborted !== true)) {
      throw new ProviderError('PIN_IDLE_TIMEOUT', `no data arrived from the given peers for ${idleTimeoutMs} ms; what arrived is kept, so a new request resumes`, { details: { ...details, idleTimeoutMs }, cause });
    }
    throw new ProviderError('UNAVAILABLE', 'could not fetch the content to pin from the given peers', { details, cause });
  }
  return { pinned: request.cids };
}
