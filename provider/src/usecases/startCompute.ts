import { randomBytes } from 'node:crypto';
import type { TypedDataDomain } from 'ethers';
import type { Environment } from '../config.js';
import { ProviderError } from '../errors.js';
import { ALGORITHM_DIR, algorithmHash, algorithmSpecSchema, COMPUTE_REQUEST_TYPES, isCoveError, listBundle, listingHash, parseCid, type AlgorithmSpec, type ComputeRequestMessage } from '@cove/sdk';
import { checkExpiry, recoverSigner } from '../auth/verify.js';
import type { Store } from '../db/store.js';
import type { EngineJobSpec, EnginePort, StoragePort } from '../ports.js';
import { checkOrders, type CheckOrdersDeps } from './checkOrders.js';
import { checkAlgorithmPolicy, checkRuntimePolicy, effectiveJobPolicy, sameImageId } from './policy.js';

/** What a job needs to run, persisted with it so a restarted provider can carry on. */
export type StoredJobSpec = {
  request: ComputeRequestMessage;
  signature: string;
  /** The inline code bundle, base64; absent when the bundle is fetched by `request.algorithm.codeCid`. */
  inlineCode?: string;
  /** `algorithmHash` of the spec that runs (the receipt records it). */
  algorithmHash: string;
  /** True when a dataset allowed any algorithm, so this spec was not one its owner approved. */
  anyAlgorithm: boolean;
  /** `review`: the dataset's owner reviews the outputs before release (absent: no review). */
  datasets: { assetId: string; orderId: string; contentHash: string; encryptedContentCid: string; sealedKey: string; fileName: string; review?: boolean }[];
} & Pick<EngineJobSpec, 'limits' | 'output'>;

/** The container spec of a request, without where its code comes from. */
export function specOf(request: ComputeRequestMessage): AlgorithmSpec {
  const { codeCid: _codeCid, ...spec } = request.algorithm;
  return spec;
}

/**
 * Checks a code bundle against the spec: its listing hash is `codeHash`, and a working
 * directory inside the algorithm dir is a folder of the bundle (Docker could not start in
 * one that does not exist on the read-only mount). ALGORITHM_BUNDLE_INVALID / ALGORITHM_CODE_MISMATCH.
 */
async function checkBundle(source: AsyncIterable<Uint8Array> | Uint8Array[], spec: Pick<AlgorithmSpec, 'codeHash' | 'workingDir'>, maxBytes: number, signal?: AbortSignal): Promise<void> {
  let files;
  try {
    files = await listBundle({ source, maxBytes, maxFiles: 1024, ...(signal ? { signal } : {}) });
  } catch (err) {
    if (isCoveError(err, 'RESULT_BUNDLE_INVALID')) throw new ProviderError('ALGORITHM_BUNDLE_INVALID', `the algorithm bundle is not a valid bundle: ${err.message}`);
    if (isCoveError(err, 'CID_NOT_FOUND') || isCoveError(err, 'TIMEOUT') || isCoveError(err, 'ABORTED')) {
      throw new ProviderError('ALGORITHM_CODE_UNAVAILABLE', 'the algorithm bundle could not be fetched by its codeCid', { cause: err });
    }
    throw err;
  }
  if (files.length === 0) throw new ProviderError('ALGORITHM_BUNDLE_INVALID', 'the algorithm bundle holds no file');
  if (listingHash(files) !== spec.codeHash.toLowerCase()) throw new ProviderError('ALGORITHM_CODE_MISMATCH', 'the algorithm bundle does not match codeHash');
  if (spec.workingDir.startsWith(ALGORITHM_DIR + '/')) {
    const folder = spec.workingDir.slice(ALGORITHM_DIR.length + 1) + '/';
    if (!files.some((f) => f.path.startsWith(folder))) throw new ProviderError('ALGORITHM_BUNDLE_INVALID', 'the working directory is not a folder of the algorithm bundle');
  }
}

/** The admission side of the job queue. */
export type JobAdmission = {
  /** False when the queue is full (the request is refused with QUEUE_FULL). */
  hasRoom(): boolean;
  /** Schedules a job just recorded as queued. */
  enqueue(jobId: string): void;
};

export type StartComputeDeps = CheckOrdersDeps & {
  store: Pick<Store, 'usedOrders' | 'lastNonce' | 'accept'>;
  engine: Pick<EnginePort, 'resolveImage'>;
  /** Fetches a bundle given by `codeCid` (after the orders are checked). */
  storage: Pick<StoragePort, 'cat'>;
  queue: JobAdmission;
  domain: TypedDataDomain;
  environments: Environment[];
  maxTtlSeconds: number;
  inlineCodeMaxBytes: number;
  /** Largest bundle fetched by `codeCid`. */
  codeMaxBytes: number;
  /** The OCI runtime this provider's jobs run under, checked against each asset's `requireRuntime`. */
  runtime: 'runc' | 'runsc';
  /** How long fetching a bundle by `codeCid` may take. */
  codeFetchTimeoutMs?: number;
  clock?: () => number;
  /** Rate limit by verified signer: throws RATE_LIMITED; called right after the signature verifies. */
  admitSigner?: (signer: string) => void;
};

export type StartComputeParameters = {
  request: ComputeRequestMessage;
  signature: string;
  /** The algorithm's code sent with the request instead of a CID. */
  inlineCode?: Uint8Array | undefined;
  signal?: AbortSignal;
};


/**
 * Admits a signed compute request. In order, so that nothing reaches the engine, IPFS or
 * the chain for a request that is not signed by the holder of valid orders: signature over
 * the whole request, expiry, nonce, environment, the spec's shape, inline code against
 * codeHash; then each order on-chain, the datasets' policies against the spec's
 * `algorithmHash`, the environment's images, the image on this host, a bundle fetched by
 * CID; then, in one transaction, consumes the nonce and the orders and records the job.
 * Nothing is consumed when any check fails.
 * @example
 * const { jobId } = await startCompute(deps, { request, signature });
 */
export async function startCompute(deps: StartComputeDeps, params: StartComputeParameters): Promise<{ jobId: string }> {
  const { request, signature, signal } = params;
  const clock = deps.clock ?? Date.now;
  checkExpiry({ expiry: request.expiry, nowSeconds: Math.floor(clock() / 1000), maxTtlSeconds: deps.maxTtlSeconds });
  const signer = recoverSigner({ domain: deps.domain, types: COMPUTE_REQUEST_TYPES, message: request, signature });
  if (signer.toLowerCase() !== request.consumer.toLowerCase()) {
    throw new ProviderError('SIGNATURE_INVALID', 'signature is not by the consumer named in the request');
  }
  deps.admitSigner?.(signer);
  const nonce = BigInt(request.nonce);
  const last = deps.store.lastNonce(signer);
  if (last !== undefined && nonce <= last) throw new ProviderError('NONCE_REPLAYED', 'nonce must be greater than the last one used', { details: { lastNonce: String(last) } });

  const env = deps.environments.find((e) => e.id === request.environment);
  if (!env) throw new ProviderError('ENVIRONMENT_NOT_FOUND', 'no such compute environment', { details: { environment: request.environment } });

  const parsed = algorithmSpecSchema.safeParse(specOf(request));
  if (!parsed.success) {
    throw new ProviderError('VALIDATION', 'invalid algorithm spec', { details: { issues: parsed.error.issues.map((i) => `algorithm.${i.path.join('.')}: ${i.message}`) } });
  }
  const spec = parsed.data;
  const { codeCid } = request.algorithm;
  if ((params.inlineCode === undefined) === (codeCid === '')) {
    throw new ProviderError('VALIDATION', 'send the algorithm bundle either inline or by codeCid, not both or neither');
  }
  if (codeCid !== '') {
    try {
      parseCid(codeCid);
    } catch {
      throw new ProviderError('VALIDATION', 'algorithm.codeCid is not a CID', { details: { codeCid } });
    }
  }
  if (params.inlineCode) {
    if (params.inlineCode.byteLength > deps.inlineCodeMaxBytes) {
      throw new ProviderError('ALGORITHM_CODE_TOO_LARGE', 'inline code too large', { details: { maxBytes: deps.inlineCodeMaxBytes } });
    }
    await checkBundle([params.inlineCode], spec, deps.inlineCodeMaxBytes);
  }

  const datasets = await checkOrders(deps, { consumer: signer, datasets: request.datasets, serviceType: 'compute', ...(signal ? { signal } : {}) });
  const hash = algorithmHash(spec);
  const { anyAlgorithm } = checkAlgorithmPolicy({ imageId: spec.image, algorithmHash: hash, datasets });
  checkRuntimePolicy({ runtime: deps.runtime, datasets });
  if (env.images.length > 0) {
    const envIds = await Promise.all(env.images.map((i) => deps.engine.resolveImage(i)));
    if (!envIds.some((id) => id !== undefined && sameImageId(id, spec.image))) {
      throw new ProviderError('ALGORITHM_NOT_ALLOWED', 'image not offered by this environment', { details: { image: spec.image, environment: env.id } });
    }
  }
  if ((await deps.engine.resolveImage(spec.image)) === undefined) {
    throw new ProviderError('ALGORITHM_IMAGE_UNAVAILABLE', 'the approved image is not on this provider', { details: { image: spec.image } });
  }
  if (codeCid !== '') {
    const timeout = AbortSignal.timeout(deps.codeFetchTimeoutMs ?? 30_000);
    const fetchSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
    await checkBundle(deps.storage.cat(codeCid, { signal: fetchSignal }), spec, deps.codeMaxBytes, fetchSignal);
  }

  const stored: StoredJobSpec = {
    request,
    signature,
    ...(params.inlineCode ? { inlineCode: Buffer.from(params.inlineCode).toString('base64') } : {}),
    algorithmHash: hash,
    anyAlgorithm,
    datasets: datasets.map((d) => ({
      assetId: String(d.assetId),
      orderId: d.order.orderId,
      contentHash: d.view.content.contentHash,
      encryptedContentCid: d.view.content.encryptedContentCid,
      sealedKey: d.view.content.sealedKey,
      fileName: d.view.content.fileName,
      ...(d.view.compute?.output.review === true && { review: true }),
    })),
    ...effectiveJobPolicy(env, datasets.map((d) => d.view)),
  };

  // From here on everything is synchronous: the room check, the atomic accept and the
  // enqueue cannot interleave with another request.
  if (!deps.queue.hasRoom()) throw new ProviderError('QUEUE_FULL', 'job queue is full, retry later');
  // The id commits to this provider (its address in the top 20 bytes; ComputeReceipts refuses any other), so no
  // one else can record a receipt under it; the low 12 random bytes make it unique.
  const jobId = newJobId(deps.providerAddress);
  deps.store.accept({
    address: signer,
    nonce,
    orders: datasets.map((d) => ({ orderId: d.order.orderId, txHash: d.txHash, assetId: String(d.assetId), consumer: signer, kind: 'compute' as const })),
    job: { jobId, consumer: signer, environment: env.id, request: stored },
  });
  deps.queue.enqueue(jobId);
  return { jobId };
}

/** `provider ‖ 12 random bytes`: the job id format ComputeReceipts requires (top 20 bytes = the signer). */
export function newJobId(providerAddress: string): string {
  const address = providerAddress.toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{40}$/.test(address)) throw new Error(`not an address: ${providerAddress}`);
  return '0x' + address + randomBytes(12).toString('hex');
}
