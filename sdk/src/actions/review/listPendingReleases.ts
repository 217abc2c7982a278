import type { CoveClientBase } from '../../client/base.js';
import type { PendingReleasesView } from '../../provider-api/http.js';
import { openReview, type ReviewRef } from './review.js';

export type ListPendingReleasesParameters = ReviewRef;
export type ListPendingReleasesReturnType = PendingReleasesView;

/**
 * The jobs over one of your assets whose outputs the provider holds for your review (the
 * asset's output policy says `review: true`), with their manifests and which reviewing
 * datasets were released so far. The signer must be the asset's current owner
 * (`NOT_ASSET_OWNER` otherwise).
 *
 * @example
 * const { jobs } = await listPendingReleases(client, { provider: url, assetId: 1n });
 */
export async function listPendingReleases(client: CoveClientBase, params: ListPendingReleasesParameters): Promise<ListPendingReleasesReturnType> {
  const { provider, body } = await openReview(client, { ...params, action: 'list' });
  return provider.http.reviewList(body);
}
