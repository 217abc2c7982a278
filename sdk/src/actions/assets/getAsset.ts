import type { CoveClientBase } from '../../client/base.js';
import { loadDocument } from '../../asset/document.js';
import type { AssetDocument } from '../../asset/schema.js';
import { readAssetRecord, type AssetRecord } from './chain.js';

export type GetAssetParameters = {
  assetId: bigint;
  /** Idle timeout of the document fetch (default the storage's). */
  timeoutMs?: number;
  signal?: AbortSignal;
};

export type GetAssetReturnType = AssetRecord & { document: AssetDocument };

/**
 * Reads an asset: its on-chain record (owner, kind, datatoken, document CID and sha256,
 * lineage) and its document from IPFS, validated and checked against the anchored hash.
 *
 * Errors: `ASSET_NOT_FOUND`, `DOCUMENT_HASH_MISMATCH` (the stored bytes differ from the
 * chain's hash), `INVALID_DOCUMENT`, `CID_NOT_FOUND`, `ABORTED`.
 *
 * @example
 * const { document, owner, datatoken } = await getAsset(client, { assetId: 1n });
 */
export async function getAsset(client: CoveClientBase, params: GetAssetParameters): Promise<GetAssetReturnType> {
  const record = await readAssetRecord(client, params.assetId);
  const { document } = await loadDocument(client.storage, record.documentCid, {
    expectedHash: record.metadataHash,
    ...(params.timeoutMs !== undefined ? { timeoutMs: params.timeoutMs } : {}),
    ...(params.signal ? { signal: params.signal } : {}),
  });
  return { ...record, document };
}
