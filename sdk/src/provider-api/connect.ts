import { getAddress } from 'ethers';
import { ActionError } from '../actions/errors.js';
import { createProviderHttp, type ProviderHttp, type ProviderInfo } from './http.js';

export type ConnectedProvider = { http: ProviderHttp; info: ProviderInfo; address: string };

/**
 * Opens a provider by URL and checks it serves the client's chain (`PROVIDER_CHAIN_MISMATCH`
 * otherwise): every signed request is bound to the provider's address and this chain id.
 *
 * @example
 * const { http, address } = await connectProvider({ url, chainId: client.chainId });
 */
export async function connectProvider(params: { url: string; chainId: bigint; signal?: AbortSignal; timeoutMs?: number }): Promise<ConnectedProvider> {
  const http = createProviderHttp({ url: params.url, ...(params.signal ? { signal: params.signal } : {}), ...(params.timeoutMs ? { timeoutMs: params.timeoutMs } : {}) });
  const info = await http.info();
  if (BigInt(info.chainId) !== params.chainId) {
    throw new ActionError('PROVIDER_CHAIN_MISMATCH', `provider at ${params.url} serves chain ${info.chainId}, not ${params.chainId}`, {
      details: { url: params.url, providerChainId: info.chainId, chainId: String(params.chainId) },
    });
  }
  return { http, info, address: getAddress(info.address) };
}
