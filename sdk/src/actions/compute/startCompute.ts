import { requireSigner, requireX25519, type CoveClientBase } from '../../client/base.js';
import { encodeKey } from '../../crypto/keys.js';
import { connectProvider } from '../../provider-api/connect.js';
import { nextNonce } from '../../provider-api/http.js';
import { COMPUTE_REQUEST_TYPES, providerDomain, type ComputeRequestMessage } from '../../provider-api/typedData.js';
import { prepareAlgorithm, type AlgorithmInput } from '../../algorithm/prepare.js';
import { ActionError } from '../errors.js';

export type { AlgorithmInput } from '../../algorithm/prepare.js';

export type StartComputeParameters = {
  /** The provider's base URL. */
  provider: string;
  /** The orders to spend, one per dataset, all naming this provider. */
  datasets: { assetId: bigint; orderTxHash: string; serviceId?: number }[];
  algorithm: AlgorithmInput;
  /** Compute environment id; default the provider's first. */
  environment?: string;
  /** Lifetime of the signed request, default 600 s. */
  ttlSeconds?: number;
  signal?: AbortSignal;
};

export type StartComputeReturnType = {
  jobId: string;
  provider: string;
  providerAddress: string;
  request: ComputeRequestMessage;
  /** The hash of the container spec the job runs (the receipt records it). */
  algorithmHash: `0x${string}`;
};

/**
 * Starts a compute job: bundles the code and builds the whole container spec (image ID,
 * code hash, entrypoint, command, working dir, env, user), signs the whole request (orders,
 * spec, environment, the buyer's X25519 key that results are sealed to, nonce, expiry) as
 * EIP-712 typed data bound to the provider and chain, and sends the bundle inline (or by
 * CID when it exceeds the provider's inline limit). Returns the job id and `algorithmHash`.
 *
 * Errors: `INVALID_PARAMS`, `PROVIDER_CHAIN_MISMATCH`, and the provider's refusals
 * (`ORDER_EXPIRED`, `ORDER_ALREADY_USED`, `ALGORITHM_NOT_ALLOWED`, `QUEUE_FULL`…).
 *
 * @example
 * const { jobId } = await startCompute(client, {
 *   provider: 'http://127.0.0.1:8030',
 *   datasets: [{ assetId, orderTxHash }],
 *   algorithm: { image: 'sha256:…', file: './train.py' },
 * });
 */
export async function startCompute(client: CoveClientBase, params: StartComputeParameters): Promise<StartComputeReturnType> {
  const signer = requireSigner(client);
  const keys = requireX25519(client);
  if (params.datasets.length === 0) throw new ActionError('INVALID_PARAMS', 'a job needs at least one dataset order');
  const { signal } = params;
  const provider = await connectProvider({ url: params.provider, chainId: client.chainId, ...(signal ? { signal } : {}) });
  const environment = params.environment ?? provider.info.environments[0]?.id;
  if (environment === undefined) throw new ActionError('INVALID_PARAMS', 'the provider offers no compute environment');
  const algorithm = await prepareAlgorithm(client, params.algorithm, { info: provider.info, ...(signal ? { signal } : {}) });
  const inlineMax = provider.info.limits.inlineCodeBytes ?? 0;
  const bytes = algorithm.bytes;
  const inline = bytes !== undefined && bytes.byteLength <= inlineMax;
  const codeCid = inline ? '' : (algorithm.codeCid ?? (await client.storage.add([bytes!], signal ? { signal } : {})));
  const consumer = await signer.getAddress();
  const request: ComputeRequestMessage = {
    consumer,
    datasets: params.datasets.map((d) => ({ assetId: String(d.assetId), serviceId: String(d.serviceId ?? 0), orderTxHash: d.orderTxHash })),
    algorithm: { ...algorithm.spec, codeCid },
    environment,
    consumerX25519: encodeKey(keys.publicKey),
    nonce: String(await nextNonce(provider.http, consumer)),
    expiry: Math.floor(Date.now() / 1000) + (params.ttlSeconds ?? 600),
  };
  const signature = await signer.signTypedData(providerDomain({ chainId: client.chainId, provider: provider.address }), COMPUTE_REQUEST_TYPES, request);
  const { jobId } = await provider.http.startCompute({ request, signature, ...(inline ? { algorithmCode: bytes.toString('base64') } : {}) });
  return { jobId, provider: provider.http.url, providerAddress: provider.address, request, algorithmHash: algorithm.algorithmHash };
}
