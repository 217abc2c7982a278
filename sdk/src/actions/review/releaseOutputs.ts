import type { CoveClientBase } from '../../client/base.js';
import type { ReleaseView } from '../../provider-api/http.js';
import { openReview, type ReviewRef } from './review.js';

export type ReleaseOutputsParameters = ReviewRef & { jobId: string };
export type ReleaseOutputsReturnType = ReleaseView;

/**
 * Releases a held job's outputs for every reviewing dataset of it you own. Once all its
 * reviewing owners have, the provider publishes the reviewed bundle to the buyer, the job
 * ends `succeeded` and its receipt is posted; until then `status` stays `awaiting_release`
 * and `pending` names the datasets still to release. Errors: `NOT_ASSET_OWNER`,
 * `JOB_NOT_FOUND`, `JOB_NOT_AWAITING_RELEASE`.
 *
 * @example
 * const { status } = await releaseOutputs(client, { provider: url, assetId: 1n, jobId });
 */
export async function releaseOutputs(client: CoveClientBase, params: ReleaseOutputsParameters): Promise<ReleaseOutputsReturnType> {
  const { provider, body } = await openReview(client, { ...params, action: 'release' });
  return provider.http.reviewRelease(body);
}
