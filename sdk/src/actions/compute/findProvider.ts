import { getAddress, isAddress, isHexString } from 'ethers';
import type { CoveClientBase } from '../../client/base.js';
import { ActionError, asAction } from '../errors.js';
import { getAsset } from '../assets/getAsset.js';

/** Where to reach a provider, as it registered itself on-chain. */
export type ProviderEndpoint = {
  address: string;
  url: string;
  x25519PublicKey: string;
  /** Its IPFS node's multiaddrs (each ending in /p2p/<peerId>), for fetching documents and results. */
  ipfsAddrs: string[];
};

/** Whose provider to find: one by address, the one an asset's document names, or the one that signed a job id. */
export type FindProviderParameters = { address: string } | { assetId: bigint } | { jobId: string };

/**
 * Discovers a provider from the chain: an asset's provider is the one its verified document
 * names, a job's is the address its id starts with (a job id commits to its provider, see
 * ComputeReceipts), and either is looked up in the ProviderRegistry, which holds the URL and
 * IPFS addresses the provider registered most recently. So a buyer names assets and jobs only.
 *
 * Errors: `INVALID_PARAMS` (a malformed address or job id), `ASSET_NOT_FOUND` and the document
 * checks of `getAsset`, `PROVIDER_NOT_REGISTERED` (never registered, or deregistered).
 *
 * @example
 * const { url, ipfsAddrs } = await findProvider(client, { assetId: 1n });
 * const job = await findProvider(client, { jobId });
 */
export async function findProvider(client: CoveClientBase, params: FindProviderParameters): Promise<ProviderEndpoint> {
  let address: string;
  if ('address' in params) {
    if (!isAddress(params.address)) throw new ActionError('INVALID_PARAMS', `provider ${params.address} is not an address`);
    address = getAddress(params.address);
  } else if ('jobId' in params) {
    if (!isHexString(params.jobId, 32)) throw new ActionError('INVALID_PARAMS', 'jobId must be a 32-byte 0x hex string', { details: { jobId: params.jobId } });
    address = getAddress(params.jobId.slice(0, 42));
  } else {
    address = getAddress((await getAsset(client, { assetId: params.assetId })).document.provider.address);
  }
  const registry = client.contracts.providerRegistry;
  // getProvider reverts for an address that is not registered: ask first.
  const registered = await asAction('findProvider', () => registry.isRegistered(address));
  if (!registered) throw new ActionError('PROVIDER_NOT_REGISTERED', `provider ${address} is not registered in the ProviderRegistry`, { details: { address } });
  const entry = await asAction('findProvider', () => registry.getProvider(address));
  return { address, url: entry.url, x25519PublicKey: entry.x25519PublicKey, ipfsAddrs: entry.ipfsAddrs.split(/\s+/).filter((a) => a.length > 0) };
}
