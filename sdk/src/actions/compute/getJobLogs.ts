import type { CoveClientBase } from '../../client/base.js';
import { openJob, type JobRef } from './job.js';

export type GetJobLogsParameters = JobRef;
/** `logs`: stdout, then `--- stderr ---` and stderr, then `[truncated]` when the tail was cut; empty when none was released. */
export type GetJobLogsReturnType = { jobId: string; status: string; logs: string };

/**
 * The log tail a job's output policy releases: for a succeeded job, and also for one that
 * `failed`, `timed_out` or was `oom_killed`, so a crashing algorithm can be debugged. The
 * provider runs the leak guard over it first; a tail it refused is empty and the job's
 * `reason` (see `getJob`) says `logs withheld: …`. Errors: the provider's codes as
 * `ProviderApiError`s (`LOGS_NOT_RELEASED` when the policy releases no logs,
 * `JOB_NOT_FOUND`, `SIGNER_MISMATCH`…).
 *
 * @example
 * const { status, logs } = await getJobLogs(client, { provider: url, jobId });
 * if (status === 'failed') console.error(logs);
 */
export async function getJobLogs(client: CoveClientBase, params: GetJobLogsParameters): Promise<GetJobLogsReturnType> {
  const { provider, token } = await openJob(client, params, 'read');
  return provider.http.jobLogs(params.jobId, token);
}
