import { requireSigner, type CoveClientBase } from '../../client/base.js';
import { connectProvider, type ConnectedProvider } from '../../provider-api/connect.js';
import { signJobAccess, type JobAccessToken } from '../../provider-api/http.js';
import type { JobAction } from '../../provider-api/typedData.js';

/** Statuses after which a job never changes. */
export const TERMINAL_JOB_STATUSES = ['succeeded', 'failed', 'timed_out', 'oom_killed', 'stopped', 'output_rejected', 'engine_error', 'rejected_by_owner'] as const;

/** Outputs collected and held until the datasets' owners release (→ succeeded) or reject (→ rejected_by_owner) them. */
export const AWAITING_RELEASE = 'awaiting_release';

export const isTerminalStatus = (status: string) => (TERMINAL_JOB_STATUSES as readonly string[]).includes(status);

/** A job at a provider: the provider's URL and the job id `startCompute` returned. */
export type JobRef = { provider: string; jobId: string; signal?: AbortSignal };

/**
 * Opens the job's provider and signs an access token for `action` (the signer must be the
 * job's consumer).
 */
export async function openJob(client: CoveClientBase, ref: JobRef, action: JobAction): Promise<{ provider: ConnectedProvider; token: JobAccessToken }> {
  const signer = requireSigner(client);
  const provider = await connectProvider({ url: ref.provider, chainId: client.chainId, ...(ref.signal ? { signal: ref.signal } : {}) });
  const token = await signJobAccess({ signer, chainId: client.chainId, provider: provider.address, jobId: ref.jobId, action });
  return { provider, token };
}
