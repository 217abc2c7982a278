import type { Signer } from 'ethers';
import type { PinProgressView, ProviderHttp } from '../../provider-api/http.js';
import { nextNonce } from '../../provider-api/http.js';
import { PIN_REQUEST_TYPES, providerDomain, type PinRequestMessage } from '../../provider-api/typedData.js';
import { ActionError } from '../errors.js';

/**
 * Asks a provider to fetch `cids` from the publisher's node (`from`, its multiaddrs) and pin
 * them, signed by the publisher (EIP-712 `PinRequest` under the provider's domain). Any
 * refusal or transport failure is `PIN_FAILED` with the provider's error as `cause`.
 *
 * @example
 * await requestPin({ http, signer, chainId, provider: info.address, cids: [contentCid, documentCid], from: storage.multiaddrs() });
 */
export async function requestPin(params: {
  http: Pick<ProviderHttp, 'pin' | 'lastNonce' | 'url'>;
  signer: Signer;
  chainId: bigint;
  provider: string;
  cids: string[];
  from: string[];
  ttlSeconds?: number;
  /** The provider's progress while it fetches: bytes stored so far, of what the roots declare. */
  onProgress?: (p: PinProgressView) => void;
}): Promise<void> {
  if (params.from.length === 0) {
    throw new ActionError('PIN_FAILED', "the publisher's storage node does not listen, so the provider cannot fetch from it: create it with listen: true or pass pin: false", {
      details: { url: params.http.url },
    });
  }
  try {
    const publisher = await params.signer.getAddress();
    const request: PinRequestMessage = {
      publisher,
      cids: params.cids,
      from: params.from.slice(0, 8),
      nonce: String(await nextNonce(params.http, publisher)),
      expiry: Math.floor(Date.now() / 1000) + (params.ttlSeconds ?? 600),
    };
    const signature = await params.signer.signTypedData(providerDomain({ chainId: params.chainId, provider: params.provider }), PIN_REQUEST_TYPES, request);
    await params.http.pin({ request, signature }, params.onProgress ? { onProgress: params.onProgress } : {});
  } catch (cause) {
    if (cause instanceof ActionError) throw cause;
    throw new ActionError('PIN_FAILED', `provider at ${params.http.url} did not pin the asset: ${(cause as Error).message}`, {
      details: { url: params.http.url, cids: params.cids, providerCode: (cause as { code?: unknown }).code },
      cause,
    });
  }
}
