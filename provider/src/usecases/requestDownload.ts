import type { TypedDataDomain } from 'ethers';
import { ProviderError } from '../errors.js';
import { DOWNLOAD_REQUEST_TYPES, type DownloadRequestMessage } from '@cove/sdk';
import { checkExpiry, recoverSigner } from '../auth/verify.js';
import type { Store } from '../db/store.js';
import type { CryptoPort } from '../ports.js';
import { checkOrders, type CheckOrdersDeps } from './checkOrders.js';

export type RequestDownloadDeps = CheckOrdersDeps & {
  store: Pick<Store, 'usedOrders' | 'lastNonce' | 'accept'>;
  crypto: Pick<CryptoPort, 'openKey' | 'sealKey'>;
  domain: TypedDataDomain;
  maxTtlSeconds: number;
  clock?: () => number;
  /** Rate limit by verified signer: throws RATE_LIMITED; called right after the signature verifies. */
  admitSigner?: (signer: string) => void;
};

export type DownloadGrant = { assetId: string; encryptedContentCid: string; contentHash: string; sealedKey: string };

/**
 * Grants a signed download (access service): after the same checks as a compute request,
 * each dataset's content key is re-sealed to the buyer's X25519 key. The buyer fetches the
 * ciphertext from IPFS itself; plaintext never crosses HTTP. The orders are consumed.
 * @example
 * const { datasets } = await requestDownload(deps, { request, signature });
 */
export async function requestDownload(
  deps: RequestDownloadDeps,
  params: { request: DownloadRequestMessage; signature: string; signal?: AbortSignal },
): Promise<{ datasets: DownloadGrant[] }> {
  const { request, signature } = params;
  const clock = deps.clock ?? Date.now;
  checkExpiry({ expiry: request.expiry, nowSeconds: Math.floor(clock() / 1000), maxTtlSeconds: deps.maxTtlSeconds });
  const signer = recoverSigner({ domain: deps.domain, types: DOWNLOAD_REQUEST_TYPES, message: request, signature });
  if (signer.toLowerCase() !== request.consumer.toLowerCase()) throw new ProviderError('SIGNATURE_INVALID', 'signature is not by the consumer named in the request');
  deps.admitSigner?.(signer);
  const nonce = BigInt(request.nonce);
  const last = deps.store.lastNonce(signer);
  if (last !== undefined && nonce <= last) throw new ProviderError('NONCE_REPLAYED', 'nonce must be greater than the last one used', { details: { lastNonce: String(last) } });

  const checked = await checkOrders(deps, { consumer: signer, datasets: request.datasets, serviceType: 'access', ...(params.signal ? { signal: params.signal } : {}) });
  // checkOrders opened each key and checked its binding; it is opened again only to re-seal it.
  const grants = checked.map((d) => {
    let key: Uint8Array;
    try {
      ({ key } = deps.crypto.openKey(d.view.content.sealedKey));
    } catch (cause) {
      throw new ProviderError('KEY_NOT_SEALED_TO_PROVIDER', "the asset's content key is not sealed to this provider", { details: { assetId: String(d.assetId) }, cause });
    }
    try {
      return {
        assetId: String(d.assetId),
        encryptedContentCid: d.view.content.encryptedContentCid,
        contentHash: d.view.content.contentHash,
        sealedKey: deps.crypto.sealKey(key, request.consumerX25519),
      };
    } finally {
      key.fill(0);
    }
  });
  deps.store.accept({
    address: signer,
    nonce,
    orders: checked.map((d) => ({ orderId: d.order.orderId, txHash: d.txHash, assetId: String(d.assetId), consumer: signer, kind: 'access' as const })),
  });
  return { datasets: grants };
}
