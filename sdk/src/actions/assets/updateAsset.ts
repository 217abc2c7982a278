import { requireSigner, type CoveClientBase } from '../../client/base.js';
import { getDatatoken } from '../../contracts/index.js';
import { parseAssetDocument, storeDocument } from '../../asset/document.js';
import type { AssetDocument, AssetDocumentInput } from '../../asset/schema.js';
import { createProviderHttp } from '../../provider-api/http.js';
import { ActionError, asAction } from '../errors.js';
import { sendTx } from './chain.js';
import { getAsset } from './getAsset.js';
import { requestPin } from './pin.js';

/** What may change. Content, provider, kind and lineage are fixed at publish (the key is sealed to that provider). */
export type AssetChanges = Partial<Pick<AssetDocumentInput, 'name' | 'description' | 'tags' | 'license' | 'services' | 'computePolicy'>>;

export type UpdateAssetParameters = {
  assetId: bigint;
  changes: AssetChanges;
  /** Ask the asset's provider to pin the new document (default true). */
  pin?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
};

export type UpdateAssetReturnType = { documentCid: string; metadataHash: string; txHash: string; document: AssetDocument };

const MUTABLE = new Set(['name', 'description', 'tags', 'license', 'services', 'computePolicy']);

/**
 * Replaces an asset's document: the current one (verified against the chain) with
 * `changes` merged on top, validated, stored, pinned by the provider, then anchored with
 * `DataNFT.setMetadata` (owner or metadata manager). Services must keep the ids and
 * timeouts the datatoken was created with.
 *
 * Errors: `ASSET_NOT_FOUND`, `DOCUMENT_HASH_MISMATCH`, `INVALID_PARAMS`, `INVALID_DOCUMENT`,
 * `NOT_AUTHORIZED`, `PIN_FAILED`.
 *
 * @example
 * const { documentCid } = await updateAsset(client, { assetId, changes: { description: 'v2: 569 rows' } });
 */
export async function updateAsset(client: CoveClientBase, params: UpdateAssetParameters): Promise<UpdateAssetReturnType> {
  const signer = requireSigner(client);
  const unknown = Object.keys(params.changes).filter((k) => !MUTABLE.has(k));
  if (unknown.length > 0) throw new ActionError('INVALID_PARAMS', `these fields cannot change after publish: ${unknown.join(', ')}`, { details: { fields: unknown } });
  const current = await getAsset(client, { assetId: params.assetId, ...(params.timeoutMs !== undefined ? { timeoutMs: params.timeoutMs } : {}), ...(params.signal ? { signal: params.signal } : {}) });
  const me = (await signer.getAddress()).toLowerCase();
  const manager = (await asAction('updateAsset', () => client.contracts.dataNFT.metadataManager(params.assetId) as Promise<string>)).toLowerCase();
  if (current.owner.toLowerCase() !== me && manager !== me) {
    throw new ActionError('NOT_AUTHORIZED', 'only the asset owner or its metadata manager may update it', { details: { assetId: String(params.assetId), owner: current.owner } });
  }
  const document = parseAssetDocument({ ...current.document, ...params.changes });

  if (params.changes.services !== undefined) {
    const dt = getDatatoken(current.datatoken, client.provider);
    const count = Number(await asAction('updateAsset', () => dt.serviceCount() as Promise<bigint>));
    const timeouts = await asAction('updateAsset', () => Promise.all(Array.from({ length: count }, (_, i) => dt.serviceTimeout(i) as Promise<bigint>)));
    const bad = document.services.filter((s) => s.id >= count || BigInt(s.timeoutSeconds) !== timeouts[s.id]);
    if (bad.length > 0) {
      throw new ActionError('INVALID_PARAMS', 'services must keep the ids and order timeouts fixed on-chain at publish', {
        details: { serviceIds: bad.map((s) => s.id), onChainTimeouts: timeouts.map(String) },
      });
    }
  }

  const stored = await storeDocument(client.storage, document, params.signal ? { signal: params.signal } : {});
  if (params.pin ?? true) {
    await requestPin({
      http: createProviderHttp({ url: document.provider.url, ...(params.signal ? { signal: params.signal } : {}) }),
      signer,
      chainId: client.chainId,
      provider: document.provider.address,
      cids: [stored.cid],
      from: client.storage.multiaddrs(),
    });
  }
  const receipt = await sendTx('updateAsset', () => client.contracts.dataNFT.setMetadata(params.assetId, stored.cid, stored.hash), params.signal);
  return { documentCid: stored.cid, metadataHash: stored.hash, txHash: receipt.hash, document };
}
