import { REVIEW_REQUEST_TYPES, type ReviewAction, type ReviewRequestMessage } from '@cove/sdk';
import type { TypedDataDomain } from 'ethers';
import { checkExpiry, recoverSigner } from '../auth/verify.js';
import type { JobRecord, JobStatus, Store } from '../db/store.js';
import { ProviderError } from '../errors.js';
import type { ChainPort, CryptoPort, OutputManifest, StoragePort } from '../ports.js';
import type { JobWorker } from './jobWorker.js';
import { publishOutputs } from './jobSteps.js';
import type { StoredJobSpec } from './startCompute.js';

const ZERO32 = '0x' + '0'.repeat(64);

export type ReviewDeps = {
  store: Pick<Store, 'getJob' | 'listJobs' | 'recordRelease' | 'releasesOf'>;
  chain: Pick<ChainPort, 'ownerOf'>;
  storage: Pick<StoragePort, 'add'>;
  crypto: Pick<CryptoPort, 'encryptFile' | 'sealKey'>;
  worker: Pick<JobWorker, 'heldBundle' | 'release' | 'reject'>;
  domain: TypedDataDomain;
  maxTtlSeconds: number;
  clock?: () => number;
};

export type ReviewParameters = { request: ReviewRequestMessage; signature: string; signal?: AbortSignal };

/** One held job as its reviewing owners see it. `reviewers`: every dataset that asked for review and whether its owner released. */
export type PendingRelease = {
  jobId: string;
  consumer: string;
  createdAt: number;
  finishedAt: number | null;
  manifest: OutputManifest;
  reviewers: { assetId: string; released: boolean }[];
};

const reviewing = (job: JobRecord) => (job.request as StoredJobSpec).datasets.filter((d) => d.review === true).map((d) => d.assetId);

/**
 * Authorises one review request, cheapest first: the route's action, expiry, signature,
 * then the signer against the asset's CURRENT owner on-chain (NOT_ASSET_OWNER), then for
 * a job action the job (JOB_NOT_FOUND unless it is one where this asset asked for review)
 * and its status (JOB_NOT_AWAITING_RELEASE).
 */
async function authorize(deps: ReviewDeps, params: ReviewParameters, action: ReviewAction): Promise<{ owner: string; job?: JobRecord }> {
  const { request } = params;
  if (request.action !== action) throw new ProviderError('VALIDATION', `this route serves the review action '${action}', the request is signed for '${request.action}'`);
  checkExpiry({ expiry: request.expiry, nowSeconds: Math.floor((deps.clock ?? Date.now)() / 1000), maxTtlSeconds: deps.maxTtlSeconds });
  const signer = recoverSigner({ domain: deps.domain, types: REVIEW_REQUEST_TYPES, message: request, signature: params.signature }).toLowerCase();
  const owner = await deps.chain.ownerOf(BigInt(request.assetId));
  if (owner === undefined) throw new ProviderError('ASSET_NOT_FOUND', 'no such asset', { details: { assetId: request.assetId } });
  if (owner.toLowerCase() !== signer) throw new ProviderError('NOT_ASSET_OWNER', "signer is not the asset's current owner", { details: { assetId: request.assetId } });
  if (action === 'list') return { owner: signer };
  const job = deps.store.getJob(request.jobId.toLowerCase());
  if (!job || !reviewing(job).includes(request.assetId)) throw new ProviderError('JOB_NOT_FOUND', 'no job of this asset by that id', { details: { jobId: request.jobId, assetId: request.assetId } });
  if (job.status !== 'awaiting_release') throw new ProviderError('JOB_NOT_AWAITING_RELEASE', 'the job is not awaiting release', { details: { jobId: job.jobId, status: job.status } });
  return { owner: signer, job };
}

function pendingView(deps: ReviewDeps, job: JobRecord): PendingRelease {
  const released = new Set(deps.store.releasesOf(job.jobId).map((r) => r.assetId));
  return {
    jobId: job.jobId,
    consumer: job.consumer,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
    manifest: job.manifest as OutputManifest,
    reviewers: reviewing(job).map((assetId) => ({ assetId, released: released.has(assetId) })),
  };
}

/**
 * The jobs over `assetId` whose outputs wait for review, for its owner.
 * @example
 * const { jobs } = await listPendingReleases(deps, { request: { assetId: '1', action: 'list', jobId: ZERO32, ownerX25519: ZERO32, expiry }, signature });
 */
export async function listPendingReleases(deps: ReviewDeps, params: ReviewParameters): Promise<{ assetId: string; jobs: PendingRelease[] }> {
  await authorize(deps, params, 'list');
  const { assetId } = params.request;
  const jobs = deps.store.listJobs(['awaiting_release']).filter((j) => reviewing(j).includes(assetId));
  return { assetId, jobs: jobs.map((j) => pendingView(deps, j)) };
}

/**
 * The held outputs of a job for its reviewing owner: the same bundle the buyer would get,
 * encrypted with a fresh key, added to IPFS, the key sealed to `ownerX25519`; with the
 * manifest (the owner checks the decrypted files against it) and the logs a release would
 * give the buyer.
 */
export async function inspectOutputs(deps: ReviewDeps, params: ReviewParameters) {
  const { job } = await authorize(deps, params, 'inspect');
  if (params.request.ownerX25519.toLowerCase() === ZERO32) throw new ProviderError('VALIDATION', 'ownerX25519 is required to inspect outputs');
  const { resultCid, resultKey } = await publishOutputs(deps, { bundlePath: deps.worker.heldBundle(job!.jobId), consumerX25519: params.request.ownerX25519, ...(params.signal ? { signal: params.signal } : {}) });
  return { jobId: job!.jobId, manifest: job!.manifest as OutputManifest, logs: job!.logs, resultCid, sealedKey: resultKey };
}

/**
 * Records the release of a held job by the signer for every reviewing dataset of the job
 * it currently owns; once every reviewing dataset is released, publishes the outputs to the
 * buyer (the reviewed bytes) and the job ends `succeeded`.
 */
export async function releaseOutputs(deps: ReviewDeps, params: ReviewParameters): Promise<{ jobId: string; status: JobStatus; pending: string[] }> {
  const { owner, job } = await authorize(deps, params, 'release');
  const assets = reviewing(job!);
  const owned = await Promise.all(assets.map(async (a) => a === params.request.assetId || (await deps.chain.ownerOf(BigInt(a)))?.toLowerCase() === owner));
  assets.forEach((assetId, i) => owned[i] && deps.store.recordRelease({ jobId: job!.jobId, assetId, owner }));
  const released = new Set(deps.store.releasesOf(job!.jobId).map((r) => r.assetId));
  const pending = assets.filter((a) => !released.has(a));
  if (pending.length > 0) return { jobId: job!.jobId, status: 'awaiting_release', pending };
  return { jobId: job!.jobId, status: await deps.worker.release(job!.jobId, params.signal ? { signal: params.signal } : {}), pending };
}

/** Rejects a held job: one reviewing owner's reject ends it `rejected_by_owner`, nothing reaching the buyer. */
export async function rejectOutputs(deps: ReviewDeps, params: ReviewParameters): Promise<{ jobId: string; status: JobStatus }> {
  const { job } = await authorize(deps, params, 'reject');
  return { jobId: job!.jobId, status: await deps.worker.reject(job!.jobId, { assetId: params.request.assetId }) };
}
