import type { JobAction } from '@cove/sdk';
import type { JobAccessVerifier } from '../auth/verify.js';
import { isTerminal, type JobRecord, type Store } from '../db/store.js';
import { ProviderError } from '../errors.js';
import type { StoredJobSpec } from './startCompute.js';

export type JobAccess = { jobId: string; action: JobAction; expiry: number; signature: string };
export type JobQueryDeps = { store: Pick<Store, 'getJob' | 'transitions'>; verifyAccess: JobAccessVerifier };

/**
 * Authorises one read or stop of a job: a valid, unexpired `JobAccess` signature for this
 * job and action, by the job's consumer (SIGNER_MISMATCH otherwise).
 */
export function authorizeJobAccess(deps: JobQueryDeps, access: JobAccess): JobRecord {
  const signer = deps.verifyAccess(access);
  const job = deps.store.getJob(access.jobId);
  if (!job) throw new ProviderError('JOB_NOT_FOUND', 'no such job', { details: { jobId: access.jobId } });
  if (job.consumer !== signer.toLowerCase()) throw new ProviderError('SIGNER_MISMATCH', "signer is not the job's consumer");
  return job;
}

function receiptView(job: JobRecord) {
  return { state: job.receiptState, txHash: job.receiptTx, root: job.receiptRoot, blockNumber: job.receiptBlock, error: job.receiptError };
}

/**
 * The status of a job with its whole transition history and receipt.
 * @example
 * const status = getJobStatus(deps, { jobId, action: 'read', expiry, signature });
 */
export function getJobStatus(deps: JobQueryDeps, access: JobAccess) {
  const job = authorizeJobAccess(deps, { ...access, action: 'read' });
  return {
    jobId: job.jobId,
    status: job.status,
    reason: job.reason,
    environment: job.environment,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    runtime: job.runtime,
    transitions: deps.store.transitions(job.jobId),
    resultCid: job.resultCid,
    receipt: receiptView(job),
  };
}

/** The job's logs as its output policy releases them (LOGS_NOT_RELEASED when it releases none). */
export function getJobLogs(deps: JobQueryDeps, access: JobAccess) {
  const job = authorizeJobAccess(deps, { ...access, action: 'read' });
  const spec = job.request as StoredJobSpec;
  if (spec.output.logs === 'none') throw new ProviderError('LOGS_NOT_RELEASED', "the datasets' output policy releases no logs");
  // Held outputs include their logs: nothing of them reaches the buyer before the owners release.
  return { jobId: job.jobId, status: job.status, logs: job.status === 'awaiting_release' ? '' : (job.logs ?? '') };
}

/** The result of a finished job: manifest, encrypted result CID, its key sealed to the consumer, receipt. */
export function getJobResult(deps: JobQueryDeps, access: JobAccess) {
  const job = authorizeJobAccess(deps, { ...access, action: 'read' });
  if (!isTerminal(job.status)) throw new ProviderError('JOB_NOT_FINISHED', 'job has not finished', { details: { status: job.status } });
  return {
    jobId: job.jobId,
    status: job.status,
    reason: job.reason,
    manifest: job.manifest,
    outputsHash: job.outputsHash,
    resultCid: job.resultCid,
    sealedKey: job.resultKey,
    receipt: receiptView(job),
  };
}
