import { AbiCoder, TypedDataEncoder, keccak256, type Signer, type TypedDataDomain, type TypedDataField } from 'ethers';
import { randomBytes } from 'node:crypto';
import { CoveError } from '../errors.js';

// Receipts v2 (ComputeReceipts, EIP-712 domain version "2"). A provider signs one `ReceiptBatch(root, count)` for
// 1..256 receipts; `root` is the Merkle root of the receipts' leaves in order. docs/audit-spec.md states every rule
// here byte for byte, for verifiers that do not run this code.

/** A compute job receipt, as signed by the provider (inside a batch) and recorded by ComputeReceipts. */
export type JobReceipt = {
  /** The provider's address (top 20 bytes) then 12 bytes of its choice: see `jobIdFor`. */
  jobId: string;
  /** The orders' consumer: only they may cite the job as a model's parent. */
  consumer: string;
  /** `orderIds[i]` is the order spent on dataset `assetIds[i]`. */
  orderIds: string[];
  assetIds: bigint[];
  datasetContentHashes: string[];
  algorithmImageDigest: string;
  algorithmCodeHash: string;
  /**
   * sha256 of the canonical JSON of the whole container spec the asset owner approved (image ID, code bundle hash,
   * entrypoint, command, working dir, env, user); never zero (the contract refuses it).
   */
  algorithmHash: string;
  outputsHash: string;
  resultCid: string;
  /** A `JOB_STATUS` code. */
  status: number;
  /** A `JOB_RUNTIME` code: what the job's container ran under, as the provider signs it. */
  runtime: number;
  startedAt: bigint;
  finishedAt: bigint;
};

/** EIP-712 types of `JobReceipt` (primary type `Receipt`), identical to the contract's `RECEIPT_TYPEHASH`. */
export const RECEIPT_EIP712_TYPES: Record<string, TypedDataField[]> = {
  Receipt: [
    { name: 'jobId', type: 'bytes32' },
    { name: 'consumer', type: 'address' },
    { name: 'orderIds', type: 'bytes32[]' },
    { name: 'assetIds', type: 'uint256[]' },
    { name: 'datasetContentHashes', type: 'bytes32[]' },
    { name: 'algorithmImageDigest', type: 'bytes32' },
    { name: 'algorithmCodeHash', type: 'bytes32' },
    { name: 'algorithmHash', type: 'bytes32' },
    { name: 'outputsHash', type: 'bytes32' },
    { name: 'resultCid', type: 'string' },
    { name: 'status', type: 'uint8' },
    { name: 'runtime', type: 'uint8' },
    { name: 'startedAt', type: 'uint64' },
    { name: 'finishedAt', type: 'uint64' },
  ],
};

/** EIP-712 types of the message a provider signs for a batch (primary type `ReceiptBatch`). */
export const BATCH_EIP712_TYPES: Record<string, TypedDataField[]> = {
  ReceiptBatch: [
    { name: 'root', type: 'bytes32' },
    { name: 'count', type: 'uint256' },
  ],
};

/** The most receipts in one batch (the contract's `MAX_BATCH`). */
export const MAX_RECEIPT_BATCH = 256;

const receiptEncoder = TypedDataEncoder.from(RECEIPT_EIP712_TYPES);
const abi = AbiCoder.defaultAbiCoder();

/**
 * The EIP-712 domain of the ComputeReceipts contract at `verifyingContract`.
 *
 * @example
 * const domain = receiptDomain(deployment.chainId, deployment.computeReceipts);
 */
export function receiptDomain(chainId: bigint, verifyingContract: string): TypedDataDomain {
  return { name: 'Cove ComputeReceipts', version: '2', chainId, verifyingContract };
}

/** The EIP-712 struct hash of a receipt (the contract's `hashReceipt`). */
export function hashReceipt(receipt: JobReceipt): string {
  return receiptEncoder.hashStruct('Receipt', receipt);
}

/** A Merkle leaf from its parts: keccak256(abi.encode(receiptHash, jobId, consumer, status)). */
export function leafHash(receiptHash: string, jobId: string, consumer: string, status: number): string {
  return keccak256(abi.encode(['bytes32', 'bytes32', 'address', 'uint8'], [receiptHash, jobId, consumer, status]));
}

const leaves = new WeakMap<JobReceipt, string>();

/** The Merkle leaf of a receipt (the contract's `leafOf`); cached per receipt object, which must not be mutated. */
export function receiptLeaf(receipt: JobReceipt): string {
  let leaf = leaves.get(receipt);
  if (leaf === undefined) {
    leaf = leafHash(hashReceipt(receipt), receipt.jobId, receipt.consumer, receipt.status);
    leaves.set(receipt, leaf);
  }
  return leaf;
}

/** keccak256 of the two nodes, smaller first (OpenZeppelin's `Hashes.commutativeKeccak256`). */
function hashPair(a: string, b: string): string {
  const [x, y] = BigInt(a) <= BigInt(b) ? [a, b] : [b, a];
  return keccak256('0x' + x.slice(2) + y.slice(2));
}

/** The levels of the tree over `leaves`, leaves first: pairs in order, an odd last node moves up unchanged. */
function levels(leaves: string[]): string[][] {
  if (leaves.length === 0) throw new CoveError('INVALID_INPUT', 'a receipt batch holds at least one receipt');
  const out = [leaves];
  while (out.at(-1)!.length > 1) {
    const level = out.at(-1)!;
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? hashPair(level[i]!, level[i + 1]!) : level[i]!);
    out.push(next);
  }
  return out;
}

/** The Merkle root of `leaves` (the contract's root of a batch; one leaf: itself). */
export function merkleRoot(leaves: string[]): string {
  return levels(leaves).at(-1)![0]!;
}

/** The path from leaf `index` to the root, for OpenZeppelin's `MerkleProof.verify` (empty for one leaf). */
export function merkleProof(leaves: string[], index: number): string[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new CoveError('INVALID_INPUT', `no leaf ${index} in a batch of ${leaves.length}`);
  const proof: string[] = [];
  let i = index;
  for (const level of levels(leaves).slice(0, -1)) {
    const sibling = i ^ 1;
    if (sibling < level.length) proof.push(level[sibling]!);
    i >>= 1;
  }
  return proof;
}

/** Folds a proof back to a root (OpenZeppelin's `MerkleProof.processProof`). */
export function processProof(leaf: string, proof: string[]): string {
  return proof.reduce((node, sibling) => hashPair(node, sibling), leaf);
}

/** The EIP-712 digest a provider signs for a batch (the contract's `hashBatch`). */
export function hashReceiptBatch(domain: TypedDataDomain, root: string, count: number): string {
  return TypedDataEncoder.hash(domain, BATCH_EIP712_TYPES, { root, count });
}

/**
 * Signs a batch of receipts as a provider: returns the root and the 65-byte signature for `recordBatch` (or, for
 * one receipt, `recordJob`).
 *
 * @example
 * const { signature } = await signReceiptBatch(providerWallet, receiptDomain(chainId, receiptsAddress), [receipt]);
 * await computeReceipts.recordJob(receipt, signature);
 */
export async function signReceiptBatch(signer: Signer, domain: TypedDataDomain, receipts: JobReceipt[]): Promise<{ root: string; signature: string }> {
  if (receipts.length > MAX_RECEIPT_BATCH) throw new CoveError('INVALID_INPUT', `a receipt batch holds at most ${MAX_RECEIPT_BATCH} receipts`);
  const root = merkleRoot(receipts.map(receiptLeaf));
  const signature = await signer.signTypedData(domain, BATCH_EIP712_TYPES, { root, count: receipts.length });
  return { root, signature };
}

/** What `DataNFT.mint` takes to prove a parent job (the contract's `JobProof`). */
export type JobProof = { root: string; receiptHash: string; jobId: string; consumer: string; status: number; proof: string[] };

/** The lineage proof of receipt `index` of a recorded batch (`receipts` in the batch's calldata order). */
export function jobProof(receipts: JobReceipt[], index: number): JobProof {
  const leaves = receipts.map(receiptLeaf);
  const r = receipts[index];
  if (!r) throw new CoveError('INVALID_INPUT', `no receipt ${index} in a batch of ${receipts.length}`);
  return { root: merkleRoot(leaves), receiptHash: hashReceipt(r), jobId: r.jobId, consumer: r.consumer, status: r.status, proof: merkleProof(leaves, index) };
}

/**
 * A job id of `provider`: its address in the top 20 bytes (ComputeReceipts refuses a receipt whose id names another
 * signer, so no one can take another provider's id), then 12 bytes of `salt` (random by default).
 *
 * @example
 * const jobId = jobIdFor(wallet.address);
 */
export function jobIdFor(provider: string, salt: Uint8Array = randomBytes(12)): string {
  const address = provider.toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{40}$/.test(address)) throw new CoveError('INVALID_INPUT', `not an address: ${provider}`);
  if (salt.length !== 12) throw new CoveError('INVALID_INPUT', 'a job id salt is 12 bytes');
  return '0x' + address + Buffer.from(salt).toString('hex');
}
