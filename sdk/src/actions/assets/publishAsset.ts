import type { CoveClientBase } from '../../client/base.js';
import type { ContentInput } from './content.js';
import { publishCore, type PublishCommonParameters, type PublishCoreReturnType } from './publishCore.js';

export type PublishAssetParameters = PublishCommonParameters &
  ContentInput & {
    /** MIME type of the plaintext, e.g. `text/csv`. */
    contentType: string;
    /** Default `dataset`. Models go through `publishModel`, which records their lineage. */
    kind?: 'dataset' | 'algorithm';
  };

export type PublishAssetReturnType = PublishCoreReturnType;

/**
 * Publishes a dataset or algorithm: streams the plaintext through a fresh content key's
 * envelope into IPFS (bounded memory), seals the key to the provider's X25519 key, stores
 * the validated asset document, has the provider's node fetch and pin both (`pin`, default
 * true, so the publisher may go offline), then mints the data NFT, clones the datatoken
 * and lists it in ONE `AssetFactory.publish` transaction.
 *
 * Errors: `INVALID_PARAMS`, `PROVIDER_CHAIN_MISMATCH`, `PIN_FAILED`, `INVALID_DOCUMENT`,
 * provider transport codes, revert codes (`CONTRACT_REVERTED`…), `ABORTED`.
 *
 * @example
 * const { assetId, datatoken, pricingId } = await publishAsset(client, {
 *   file: 'breast-cancer.csv', contentType: 'text/csv', name: 'Breast cancer',
 *   provider: { url: 'http://127.0.0.1:8030' },
 *   computePolicy: { allowedImages: [imageId], allowAnyAlgorithm: true, limits, outputPolicy },
 *   pricing: { type: 'fixed', baseToken: usdc, rate: 5_000_000n },
 * });
 */
export async function publishAsset(client: CoveClientBase, params: PublishAssetParameters): Promise<PublishAssetReturnType> {
  const input: ContentInput = params.file !== undefined ? { file: params.file } : { source: params.source! };
  return publishCore(client, { ...params, kind: params.kind ?? 'dataset', input });
}
