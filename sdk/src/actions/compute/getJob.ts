import type { CoveClientBase } from '../../client/base.js';
import type { JobStatusView } from '../../provider-api/http.js';
import { openJob, type JobRef } from './job.js';

export type GetJobParameters = JobRef;
export type GetJobReturnType = JobStatusView;

/**
 * A job's status at its provider, with every transition and the state of its on-chain
 * receipt. Errors: the provider's codes (`JOB_NOT_FOUND`, `SIGNER_MISMATCH`…) as
 * `ProviderApiError`s.
 *
 * @example
 * const { status, receipt } = await getJob(client, { provider: url, jobId });
 */
export async function getJob(client: CoveClientBase, params: GetJobParameters): Promise<GetJobReturnType> {
  const { provider, token } = await openJob(client, params, 'read');
  return provider.http.jobStatus(params.jobId, token);
}
