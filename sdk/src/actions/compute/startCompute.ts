import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { requireSigner, requireX25519, type CoveClientBase } from '../../client/base.js';
import { encodeKey } from '../../crypto/keys.js';
import { connectProvider } from '../../provider-api/connect.js';
import { nextNonce } from '../../provider-api/http.js';
import { algorithmCodeHash, COMPUTE_REQUEST_TYPES, providerDomain, type ComputeRequestMessage } from '../../provider-api/typedData.js';
import { ActionError } from '../errors.js';

/** The algorithm: an image (ID or reference the provider resolves) and ONE code file. */
export type AlgorithmInput = {
  image: string;
  /** Path of the code file. */
  file?: string;
  /** The code itself, with `fileName`. */
  code?: Uint8Array;
  /** Name inside `/data/transformations/algorithm/`; default the file's base name. */
  fileName?: string;
  /** Code already on IPFS (fetched through the client's node to hash it). */
  codeCid?: string;
  /** Container command; default `python3 <file>` for `.py`, `node <file>` for `.js`/`.mjs`/`.cjs`. */
  command?: string[];
};

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

export type StartComputeReturnType = { jobId: string; provider: string; providerAddress: string; request: ComputeRequestMessage };

const ALGORITHM_DIR = '/data/transformations/algorithm';

function defaultCommand(fileName: string): string[] {
  const path = `${ALGORITHM_DIR}/${fileName}`;
  const ext = extname(fileName).toLowerCase();
  if (ext === '.py') return ['python3', path];
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') return ['node', path];
  throw new ActionError('INVALID_PARAMS', `no default command for ${fileName}: give algorithm.command`);
}

/** The algorithm's one code file and its name inside the job, from a path, bytes or a CID. */
export async function readCode(client: CoveClientBase, a: AlgorithmInput, signal?: AbortSignal): Promise<{ code: Uint8Array; fileName: string }> {
  const given = [a.file, a.code, a.codeCid].filter((x) => x !== undefined).length;
  if (given !== 1) throw new ActionError('INVALID_PARAMS', 'give exactly one of algorithm.file, algorithm.code, algorithm.codeCid');
  if (a.file !== undefined) return { code: await readFile(a.file), fileName: a.fileName ?? basename(a.file) };
  if (a.fileName === undefined) throw new ActionError('INVALID_PARAMS', 'algorithm.fileName is required with code or codeCid');
  if (a.code !== undefined) return { code: a.code, fileName: a.fileName };
  const parts: Uint8Array[] = [];
  for await (const p of client.storage.cat(a.codeCid!, signal ? { signal } : {})) parts.push(p);
  return { code: Buffer.concat(parts), fileName: a.fileName };
}

/**
 * Starts a compute job: signs the whole request (orders, algorithm image, code hash and
 * command, environment, the buyer's X25519 key that results are sealed to, nonce, expiry)
 * as EIP-712 typed data bound to the provider and chain, and sends the code inline (or by
 * CID when it exceeds the provider's inline limit). Returns the job id.
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
  const { code, fileName } = await readCode(client, params.algorithm, signal);
  const inlineMax = provider.info.limits.inlineCodeBytes ?? 0;
  const inline = params.algorithm.codeCid === undefined && code.byteLength <= inlineMax;
  const codeCid = inline ? '' : (params.algorithm.codeCid ?? (await client.storage.add([code], signal ? { signal } : {})));
  const consumer = await signer.getAddress();
  const request: ComputeRequestMessage = {
    consumer,
    datasets: params.datasets.map((d) => ({ assetId: String(d.assetId), serviceId: String(d.serviceId ?? 0), orderTxHash: d.orderTxHash })),
    algorithm: { image: params.algorithm.image, codeCid, fileName, codeHash: algorithmCodeHash({ fileName, code }), command: params.algorithm.command ?? defaultCommand(fileName) },
    environment,
    consumerX25519: encodeKey(keys.publicKey),
    nonce: String(await nextNonce(provider.http, consumer)),
    expiry: Math.floor(Date.now() / 1000) + (params.ttlSeconds ?? 600),
  };
  const signature = await signer.signTypedData(providerDomain({ chainId: client.chainId, provider: provider.address }), COMPUTE_REQUEST_TYPES, request);
  const { jobId } = await provider.http.startCompute({ request, signature, ...(inline ? { algorithmCode: Buffer.from(code).toString('base64') } : {}) });
  return { jobId, provider: provider.http.url, providerAddress: provider.address, request };
}
