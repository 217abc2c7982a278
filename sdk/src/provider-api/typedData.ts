import { createHash } from 'node:crypto';
import type { TypedDataDomain, TypedDataField } from 'ethers';
import { listingHash } from '../actions/audit/hashes.js';
import type { AlgorithmSpec } from '../algorithm/spec.js';

/**
 * EIP-712 domain of every message a buyer signs for a provider. `verifyingContract` is the
 * provider's own address: a signed request is bound to one provider on one chain, so it
 * cannot be replayed against another provider (whose address differs) nor another chain.
 * @example
 * const domain = providerDomain({ chainId: 31337n, provider: '0x…' });
 */
export function providerDomain(params: { chainId: bigint; provider: string }): TypedDataDomain {
  return { name: 'Cove Provider', version: '1', chainId: params.chainId, verifyingContract: params.provider };
}

const DatasetOrder: TypedDataField[] = [
  { name: 'assetId', type: 'uint256' },
  { name: 'serviceId', type: 'uint256' },
  { name: 'orderTxHash', type: 'bytes32' },
];

/** The whole container spec (see `AlgorithmSpec`) and where its code bundle comes from. */
const Algorithm: TypedDataField[] = [
  { name: 'image', type: 'string' },
  { name: 'codeHash', type: 'bytes32' },
  { name: 'entrypoint', type: 'string[]' },
  { name: 'command', type: 'string[]' },
  { name: 'workingDir', type: 'string' },
  { name: 'env', type: 'string[]' },
  { name: 'user', type: 'string' },
  { name: 'codeCid', type: 'string' },
];

/** Types of the signed `POST /v1/compute` request: the whole request, nothing left out. */
export const COMPUTE_REQUEST_TYPES: Record<string, TypedDataField[]> = {
  ComputeRequest: [
    { name: 'consumer', type: 'address' },
    { name: 'datasets', type: 'DatasetOrder[]' },
    { name: 'algorithm', type: 'Algorithm' },
    { name: 'environment', type: 'string' },
    { name: 'consumerX25519', type: 'bytes32' },
    { name: 'nonce', type: 'uint256' },
    { name: 'expiry', type: 'uint64' },
  ],
  Algorithm,
  DatasetOrder,
};

/** Types of the signed `POST /v1/download` request. */
export const DOWNLOAD_REQUEST_TYPES: Record<string, TypedDataField[]> = {
  DownloadRequest: [
    { name: 'consumer', type: 'address' },
    { name: 'datasets', type: 'DatasetOrder[]' },
    { name: 'consumerX25519', type: 'bytes32' },
    { name: 'nonce', type: 'uint256' },
    { name: 'expiry', type: 'uint64' },
  ],
  DatasetOrder,
};

/**
 * Types of the light message that authorises reads and the stop of one job. No nonce:
 * it is a bearer token valid until `expiry` (bounded by the provider), so it can be
 * verified once and cached; `action` keeps a read token from stopping the job.
 */
export const JOB_ACCESS_TYPES: Record<string, TypedDataField[]> = {
  JobAccess: [
    { name: 'jobId', type: 'bytes32' },
    { name: 'action', type: 'string' },
    { name: 'expiry', type: 'uint64' },
  ],
};

/**
 * Types of the message an asset's owner signs to review a job's outputs before release
 * (`POST /v1/review/<action>`). `action` is one of `list`, `inspect`, `release`, `reject`
 * and the provider serves only the route of that action, so a token signed to list or to
 * inspect cannot release or reject. `jobId` is zero for `list`; `ownerX25519` is the key
 * the inspected bundle is sealed to (zero for the other actions). No nonce: like JobAccess
 * it is bounded by `expiry`, and a replayed release or reject finds the job no longer
 * awaiting release.
 */
export const REVIEW_REQUEST_TYPES: Record<string, TypedDataField[]> = {
  ReviewRequest: [
    { name: 'assetId', type: 'uint256' },
    { name: 'action', type: 'string' },
    { name: 'jobId', type: 'bytes32' },
    { name: 'ownerX25519', type: 'bytes32' },
    { name: 'expiry', type: 'uint64' },
  ],
};

/**
 * Types of the signed `POST /v1/pin` request: a publisher asks the provider's IPFS node to
 * fetch `cids` (from the publisher's node at `from`) and pin them, so the publisher can go
 * offline once its asset is published.
 */
export const PIN_REQUEST_TYPES: Record<string, TypedDataField[]> = {
  PinRequest: [
    { name: 'publisher', type: 'address' },
    { name: 'cids', type: 'string[]' },
    { name: 'from', type: 'string[]' },
    { name: 'nonce', type: 'uint256' },
    { name: 'expiry', type: 'uint64' },
  ],
};

export type DatasetOrderMessage = { assetId: string; serviceId: string; orderTxHash: string };

export type ComputeRequestMessage = {
  consumer: string;
  datasets: DatasetOrderMessage[];
  /**
   * The whole container spec the job runs (`AlgorithmSpec`: image ID, code bundle hash,
   * entrypoint, command, working dir, env, user), and `codeCid`: the CID of the code bundle
   * on IPFS, or `''` when the bundle is sent inline with the request.
   */
  algorithm: AlgorithmSpec & { codeCid: string };
  environment: string;
  consumerX25519: string;
  nonce: string;
  expiry: number;
};

export type DownloadRequestMessage = {
  consumer: string;
  datasets: DatasetOrderMessage[];
  consumerX25519: string;
  nonce: string;
  expiry: number;
};

export type PinRequestMessage = { publisher: string; cids: string[]; from: string[]; nonce: string; expiry: number };

export type JobAction = 'read' | 'stop';
export type ReviewAction = 'list' | 'inspect' | 'release' | 'reject';
export type ReviewRequestMessage = { assetId: string; action: ReviewAction; jobId: string; ownerX25519: string; expiry: number };
export type JobAccessMessage = { jobId: string; action: JobAction; expiry: number };

/**
 * The code hash of a one-file algorithm, as the runner computes it over its algorithm
 * directory and as asset policies list it: sha256 over `fileName + "\0" + sha256hex(code) + "\n"`.
 * @example
 * const codeHash = algorithmCodeHash({ fileName: 'train.py', code });
 */
export function algorithmCodeHash(params: { fileName: string; code: Uint8Array }): string {
  return listingHash([{ path: params.fileName, sha256: createHash('sha256').update(params.code).digest('hex') }]);
}
