import type { CoveClientBase } from '../../client/base.js';
import { openJob, type JobRef } from './job.js';

export type StopJobParameters = JobRef;
export type StopJobReturnType = { jobId: string; status: string };

/**
 * Asks the provider to stop a job (queued: at once; running: its container is stopped).
 * Returns the status right after the request; the job ends as `stopped` unless it had
 * already finished.
 *
 * @example
 * await stopJob(client, { provider: url, jobId });
 */
export async function stopJob(client: CoveClientBase, params: StopJobParameters): Promise<StopJobReturnType> {
  const { provider, token } = await openJob(client, params, 'stop');
  return provider.http.stopJob(params.jobId, token);
}
