import { randomBytes } from 'node:crypto';
import type { TypedDataDomain } from 'ethers';
import type { Environment } from '../config.js';
import { ProviderError } from '../errors.js';
import { algorithmCodeHash, COMPUTE_REQUEST_TYPES, type ComputeRequestMessage } from '@cove/sdk';
import { checkExpiry, recoverSigner } from '../auth/verify.js';
import type { Store } from '../db/store.js';
import type { EngineJobSpec, EnginePort } from '../ports.js';
import { checkOrders, type CheckOrdersDeps } from './checkOrders.js';
import { checkAlgorithmPolicy, effectiveJobPolicy, sameImageId } from './policy.js';

/** What a job needs to run, persisted with it so a restarted provider can carry on. */
export type StoredJobSpec = {
  request: ComputeRequestMessage;
  signature: string;
  /** Inline algorithm code, base64; absent when the code is fetched by `request.algorithm.codeCid`. */
  inlineCode?: string;
  imageId: string;
  datasets: { assetId: string; orderId: string; contentHash: string; encryptedContentCid: string; sealedKey: string; fileName: string }[];
} & Pick<EngineJobSpec, 'limits' | 'output'>;

const SAFE_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

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
  queue: JobAdmission;
  domain: TypedDataDomain;
  environments: Environment[];
  maxTtlSeconds: number;
  inlineCodeMaxBytes: number;
  clock?: () => number;
};

export type StartComputeParameters = {
  request: ComputeRequestMessage;
  signature: string;
  /** The algorithm's code sent with the request instead of a CID. */
  inlineCode?: Uint8Array | undefined;
  signal?: AbortSignal;
};


/**
 * Admits a signed compute request: signature over the whole request, expiry, nonce,
 * each order on-chain, the assets' compute policies, the queue's room; then, in one
 * transaction, consumes the nonce and the orders and records the job as queued.
 * Nothing is consumed when any check fails.
 * @example
 * const { jobId } = await startCompute(deps, { request, signature });
 */
export async function startCompute(deps: StartComputeDeps, params: StartComputeParameters): Promise<{ jobId: string }> {
  const { request, signature } = params;
  const clock = deps.clock ?? Date.now;
  checkExpiry({ expiry: request.expiry, nowSeconds: Math.floor(clock() / 1000), maxTtlSeconds: deps.maxTtlSeconds });
  const signer = recoverSigner({ domain: deps.domain, types: COMPUTE_REQUEST_TYPES, message: request, signature });
  if (signer.toLowerCase() !== request.consumer.toLowerCase()) {
    throw new ProviderError('SIGNATURE_INVALID', 'signature is not by the consumer named in the request');
  }
  const nonce = BigInt(request.nonce);
  const last = deps.store.lastNonce(signer);
  if (last !== undefined && nonce <= last) throw new ProviderError('NONCE_REPLAYED', 'nonce must be greater than the last one used', { details: { lastNonce: String(last) } });

  const env = deps.environments.find((e) => e.id === request.environment);
  if (!env) throw new ProviderError('ENVIRONMENT_NOT_FOUND', 'no such compute environment', { details: { environment: request.environment } });

  const algo = request.algorithm;
  if ((params.inlineCode === undefined) === (algo.codeCid === '')) {
    throw new ProviderError('VALIDATION', 'send the algorithm code either inline or by codeCid, not both or neither');
  }
  if (params.inlineCode) {
    if (params.inlineCode.byteLength > deps.inlineCodeMaxBytes) {
      throw new ProviderError('ALGORITHM_CODE_TOO_LARGE', 'inline code too large', { details: { maxBytes: deps.inlineCodeMaxBytes } });
    }
    if (algorithmCodeHash({ fileName: algo.fileName, code: params.inlineCode }) !== algo.codeHash.toLowerCase()) throw new ProviderError('ALGORITHM_CODE_MISMATCH', 'inline code does not match codeHash');
  }

  const imageId = await deps.engine.resolveImage(algo.image);
  if (!imageId) throw new ProviderError('ALGORITHM_NOT_ALLOWED', 'algorithm image not available on this provider', { details: { image: algo.image } });
  if (env.images.length > 0) {
    const envIds = await Promise.all(env.images.map((i) => deps.engine.resolveImage(i)));
    if (!envIds.some((id) => id !== undefined && sameImageId(id, imageId))) {
      throw new ProviderError('ALGORITHM_NOT_ALLOWED', 'image not offered by this environment', { details: { image: algo.image } });
    }
  }

  if (!SAFE_FILE_NAME.test(algo.fileName)) throw new ProviderError('VALIDATION', 'algorithm fileName must be a plain file name', { details: { fileName: algo.fileName } });

  const datasets = await checkOrders(deps, { consumer: signer, datasets: request.datasets, serviceType: 'compute', ...(params.signal ? { signal: params.signal } : {}) });
  checkAlgorithmPolicy({ imageId, codeHash: algo.codeHash, datasets });

  const spec: StoredJobSpec = {
    request,
    signature,
    ...(params.inlineCode ? { inlineCode: Buffer.from(params.inlineCode).toString('base64') } : {}),
    imageId,
    datasets: datasets.map((d) => ({
      assetId: String(d.assetId),
      orderId: d.order.orderId,
      contentHash: d.view.content.contentHash,
      encryptedContentCid: d.view.content.encryptedContentCid,
      sealedKey: d.view.content.sealedKey,
      fileName: d.view.content.fileName,
    })),
    ...effectiveJobPolicy(env, datasets.map((d) => d.view)),
  };

  // From here on everything is synchronous: the room check, the atomic accept and the
  // enqueue cannot interleave with another request.
  if (!deps.queue.hasRoom()) throw new ProviderError('QUEUE_FULL', 'job queue is full, retry later');
  const jobId = '0x' + randomBytes(32).toString('hex');
  deps.store.accept({
    address: signer,
    nonce,
    orders: datasets.map((d) => ({ orderId: d.order.orderId, txHash: d.txHash, assetId: String(d.assetId), consumer: signer, kind: 'compute' as const })),
    job: { jobId, consumer: signer, environment: env.id, request: spec },
  });
  deps.queue.enqueue(jobId);
  return { jobId };
}
