import { verifyTypedData, type TypedDataDomain, type TypedDataField } from 'ethers';
import { ProviderError } from '../errors.js';
import { JOB_ACCESS_TYPES, type JobAction } from '@cove/sdk';

/**
 * Recovers the address that signed `message` under `domain`/`types`. A malformed
 * signature or a message that does not fit the types answers SIGNATURE_INVALID.
 * @example
 * const signer = recoverSigner({ domain, types: COMPUTE_REQUEST_TYPES, message, signature });
 */
export function recoverSigner(params: {
  domain: TypedDataDomain;
  types: Record<string, TypedDataField[]>;
  message: Record<string, unknown>;
  signature: string;
}): string {
  try {
    return verifyTypedData(params.domain, params.types, params.message, params.signature);
  } catch (cause) {
    throw new ProviderError('SIGNATURE_INVALID', 'signature cannot be verified', { cause });
  }
}

/**
 * Accepts an expiry (unix seconds) that is in the future but no further than `maxTtl`
 * seconds ahead, so that no signed message stays valid indefinitely.
 */
export function checkExpiry(params: { expiry: number; nowSeconds: number; maxTtlSeconds: number }): void {
  if (params.expiry <= params.nowSeconds) throw new ProviderError('SIGNATURE_EXPIRED', 'signed message expired', { details: { expiry: params.expiry } });
  if (params.expiry > params.nowSeconds + params.maxTtlSeconds) {
    throw new ProviderError('VALIDATION', `expiry must be within ${params.maxTtlSeconds}s`, { details: { expiry: params.expiry } });
  }
}

/** Verifies a `JobAccess` message and returns who signed it. */
export type JobAccessVerifier = (params: { jobId: string; action: JobAction; expiry: number; signature: string }) => string;

/**
 * A verifier of job read/stop tokens that caches each verified token until it expires:
 * the first request pays the ECDSA recovery (~1 ms), later ones a map lookup, which keeps
 * status polling cheap. Expiry is checked on every use; the cache is bounded.
 * @example
 * const verify = createJobAccessVerifier({ domain, maxTtlSeconds: 3600 });
 * const signer = verify({ jobId, action: 'read', expiry, signature });
 */
export function createJobAccessVerifier(params: {
  domain: TypedDataDomain;
  maxTtlSeconds: number;
  maxEntries?: number;
  clock?: () => number;
}): JobAccessVerifier {
  const clock = params.clock ?? Date.now;
  const maxEntries = params.maxEntries ?? 10_000;
  const cache = new Map<string, { signer: string; expiry: number }>();

  function evict(nowSeconds: number) {
    for (const [k, v] of cache) if (v.expiry <= nowSeconds) cache.delete(k);
    // Still full: drop the oldest half (Map iterates in insertion order).
    if (cache.size >= maxEntries) {
      let n = Math.ceil(cache.size / 2);
      for (const k of cache.keys()) {
        if (n-- <= 0) break;
        cache.delete(k);
      }
    }
  }

  return ({ jobId, action, expiry, signature }) => {
    const nowSeconds = Math.floor(clock() / 1000);
    checkExpiry({ expiry, nowSeconds, maxTtlSeconds: params.maxTtlSeconds });
    const key = `${jobId}|${action}|${expiry}|${signature}`;
    const hit = cache.get(key);
    if (hit) return hit.signer;
    const signer = recoverSigner({ domain: params.domain, types: JOB_ACCESS_TYPES, message: { jobId, action, expiry }, signature });
    if (cache.size >= maxEntries) evict(nowSeconds);
    cache.set(key, { signer, expiry });
    return signer;
  };
}
