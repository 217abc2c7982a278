import type { CoveClientBase } from '../../client/base.js';
import { openReview, type ReviewRef } from './review.js';

export type RejectOutputsParameters = ReviewRef & { jobId: string };
export type RejectOutputsReturnType = { jobId: string; status: string };

/**
 * Rejects a held job's outputs: the job ends `rejected_by_owner` (recorded on-chain with
 * no outputs hash), the provider deletes the held outputs and the buyer receives nothing.
 * Errors: `NOT_ASSET_OWNER`, `JOB_NOT_FOUND`, `JOB_NOT_AWAITING_RELEASE`.
 *
 * @example
 * await rejectOutputs(client, { provider: url, assetId: 1n, jobId });
 */
export async function rejectOutputs(client: CoveClientBase, params: RejectOutputsParameters): Promise<RejectOutputsReturnType> {
  const { provider, body } = await openReview(client, { ...params, action: 'reject' });
  return provider.http.reviewReject(body);
}
