import { extractBundle, isCoveError, listingHash } from '@cove/sdk';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { JobRecord, TerminalStatus } from '../db/store.js';
import type { CryptoPort, JobReceipt, StoragePort } from '../ports.js';
import type { InputCache } from './inputCache.js';
import type { StoredJobSpec } from './startCompute.js';

/** A job step failed for a reason of the job's own (bad data, bad code), not the provider's. */
export class JobFailure extends Error {
  override name = 'JobFailure';
  constructor(
    readonly status: TerminalStatus,
    message: string,
  ) {
    super(message);
  }
}

const ZERO32 = '0x' + '0'.repeat(64);

/** A file name safe to join under a directory (no separators, no dot-dot). */
export function safeFileName(name: string, fallback: string): string {
  const b = basename(name.replaceAll('\\', '/'));
  return b === '' || b === '.' || b === '..' ? fallback : b;
}

type Dataset = StoredJobSpec['datasets'][number];

/**
 * Decrypts one dataset into `dir`, streaming it from the blockstore (memory bounded by the
 * read-ahead, not the dataset), or links it from the input cache when this ciphertext was
 * decrypted with this key before. Either way the plaintext has hashed to the document's
 * contentHash: the cache re-hashes an entry before reuse.
 */
async function stageDataset(deps: StageDeps, d: Dataset, dir: string, opts: { signal?: AbortSignal }): Promise<void> {
  await mkdir(dir, { recursive: true });
  let key: Uint8Array;
  try {
    ({ key } = deps.crypto.openKey(d.sealedKey));
  } catch (cause) {
    throw new JobFailure('failed', `dataset ${d.assetId}: its content key is not sealed to this provider (${(cause as Error).message})`);
  }
  const path = join(dir, safeFileName(d.fileName, 'data'));
  const cacheKey = { encryptedContentCid: d.encryptedContentCid, contentHash: d.contentHash, contentKey: key };
  try {
    if (deps.inputCache !== undefined && (await deps.inputCache.take(cacheKey, path))) return;
    const out = await deps.crypto.decryptToFile({ source: deps.storage.cat(d.encryptedContentCid, opts), key, path, ...opts });
    if (out.sha256.toLowerCase() !== d.contentHash.toLowerCase()) {
      throw new JobFailure('failed', `dataset ${d.assetId}: decrypted content does not match the document's contentHash`);
    }
    await deps.inputCache?.keep(cacheKey, path);
  } finally {
    key.fill(0);
  }
}

type StageDeps = { storage: StoragePort; crypto: CryptoPort; inputCache?: InputCache | undefined };

/**
 * Lays out the job workspace: each dataset decrypted to `inputs/<assetId>/<fileName>`
 * (its plaintext sha256 checked against the document's contentHash; see stageDataset) and the algorithm
 * bundle extracted into `algorithm/`, hash-checked. Returns the workspace path and the
 * bundle's files.
 */
export async function prepareWorkspace(
  deps: StageDeps & { maxCodeBytes: number },
  params: { workspace: string; spec: StoredJobSpec; signal?: AbortSignal },
): Promise<{ workspace: string; algorithmFiles: string[] }> {
  const { workspace, spec } = params;
  const opts = params.signal ? { signal: params.signal } : {};
  await rm(workspace, { recursive: true, force: true });
  await mkdir(join(workspace, 'algorithm'), { recursive: true });
  for (const d of spec.datasets) await stageDataset(deps, d, join(workspace, 'inputs', d.assetId), opts);
  const { codeHash, codeCid } = spec.request.algorithm;
  const source = spec.inlineCode !== undefined ? [Buffer.from(spec.inlineCode, 'base64')] : deps.storage.cat(codeCid, opts);
  // Admission checked the bundle against codeHash; what is extracted is checked again.
  let files;
  try {
    files = await extractBundle({ source, dir: join(workspace, 'algorithm'), maxBytes: deps.maxCodeBytes, maxFiles: 1024, ...opts });
  } catch (err) {
    if (isCoveError(err, 'RESULT_BUNDLE_INVALID')) throw new JobFailure('failed', `algorithm bundle invalid: ${err.message}`);
    throw err;
  }
  if (listingHash(files) !== codeHash.toLowerCase()) throw new JobFailure('failed', 'algorithm bundle does not match its codeHash');
  return { workspace, algorithmFiles: files.map((f) => f.path) };
}

/**
 * Encrypts the output bundle with a fresh content key, adds the ciphertext to IPFS and
 * seals the key to the consumer's X25519 key (or a reviewing owner's, to inspect it).
 */
export async function publishOutputs(
  deps: { storage: Pick<StoragePort, 'add'>; crypto: Pick<CryptoPort, 'encryptFile' | 'sealKey'> },
  params: { bundlePath: string; consumerX25519: string; signal?: AbortSignal },
): Promise<{ resultCid: string; resultKey: string }> {
  const opts = params.signal ? { signal: params.signal } : {};
  const { key, ciphertext } = deps.crypto.encryptFile({ path: params.bundlePath, ...opts });
  const resultCid = await deps.storage.add(ciphertext, opts);
  return { resultCid, resultKey: deps.crypto.sealKey(key, params.consumerX25519) };
}

/** The on-chain receipt of a terminal job (zero outputs hash and empty CID unless it succeeded). */
export function buildReceipt(job: JobRecord): JobReceipt {
  const spec = job.request as StoredJobSpec;
  const ok = job.status === 'succeeded' && job.outputsHash !== null && job.resultCid !== null;
  const toSec = (ms: number | null) => Math.floor((ms ?? job.updatedAt) / 1000);
  const finishedAt = toSec(job.finishedAt);
  return {
    jobId: job.jobId,
    // The request's signer, whom checkOrders required to be every order's consumer (OrderStarted), kept with the job.
    consumer: job.consumer,
    orderIds: spec.datasets.map((d) => d.orderId),
    assetIds: spec.datasets.map((d) => BigInt(d.assetId)),
    datasetContentHashes: spec.datasets.map((d) => d.contentHash),
    algorithmImageDigest: '0x' + spec.request.algorithm.image.replace(/^sha256:/, ''),
    algorithmCodeHash: spec.request.algorithm.codeHash,
    algorithmHash: spec.algorithmHash,
    outputsHash: ok ? job.outputsHash! : ZERO32,
    resultCid: ok ? job.resultCid! : '',
    status: job.status as TerminalStatus,
    runtime: job.runtime ?? 'none',
    // When the provider accepted the order: ComputeReceipts requires it within the order's
    // validity, which a long wait in the queue could otherwise exceed.
    startedAt: Math.min(toSec(job.createdAt), finishedAt),
    finishedAt,
  };
}
