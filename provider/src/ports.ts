/**
 * The narrow interfaces the use cases depend on. Adapters (ethers, Helia, the Docker
 * engine, the SDK's crypto) implement them; unit tests pass small fakes.
 */
import type { AlgorithmSpec } from '@cove/sdk';
import type { TerminalStatus } from './db/store.js';

/** One `OrderStarted` log, decoded. Addresses are checksummed or lower-case hex. */
export type OrderEvent = {
  /** The contract that emitted the log (must be the asset's datatoken). */
  emitter: string;
  orderId: string;
  assetId: bigint;
  consumer: string;
  payer: string;
  serviceId: string;
  provider: string;
  /** Unix seconds. */
  validUntil: bigint;
};

/** What the DataNFT holds for one asset. */
export type AssetRecord = { documentCid: string; metadataHash: string; datatoken: string };

/** The receipt posted on-chain for every job that reaches a terminal state. */
export type JobReceipt = {
  jobId: string;
  /**
   * The orders' consumer (checkOrders admits only orders whose `OrderStarted` consumer is the request's signer,
   * which the job record keeps as its `consumer`): only they may cite the job as a model's parent.
   */
  consumer: string;
  orderIds: string[];
  assetIds: bigint[];
  datasetContentHashes: string[];
  algorithmImageDigest: string;
  algorithmCodeHash: string;
  /** sha256 (0x-hex) of the canonical JSON of the whole approved container spec; never zero (the contract refuses it). */
  algorithmHash: string;
  outputsHash: string;
  resultCid: string;
  status: TerminalStatus;
  /** The OCI runtime the job's container ran under; `none` when the engine never reported one (no container ran). */
  runtime: 'none' | 'runc' | 'runsc';
  startedAt: number;
  finishedAt: number;
};

export interface ChainPort {
  readonly chainId: bigint;
  /** The DataNFT record of `assetId`, or undefined when no such token exists. */
  getAsset(assetId: bigint): Promise<AssetRecord | undefined>;
  /** The address that published (was minted) the asset; undefined when no such token exists. */
  creatorOf(assetId: bigint): Promise<string | undefined>;
  /** The asset's current owner (its DataNFT holder); undefined when no such token exists. */
  ownerOf(assetId: bigint): Promise<string | undefined>;
  /**
   * Whether a job receipt spent `orderId` on-chain (the `spent` flag of the datatoken's `orderInfo`): undefined when
   * unspent, else the spending job's id as its `OrderConsumed` event names it (undefined when the log is not found).
   */
  orderSpent(order: { datatoken: string; orderId: string }): Promise<{ jobId: string | undefined } | undefined>;
  /** Every `OrderStarted` log of a mined transaction; undefined when the tx is unknown. */
  getOrderEvents(txHash: string): Promise<OrderEvent[] | undefined>;
  /** Timestamp of the latest block, unix seconds. */
  latestTimestamp(): Promise<bigint>;
  /**
   * Queues `receipt` to be signed with the provider key and posted (alone with `recordJob`, or with others in one
   * `recordBatch`); resolves once it is mined with the transaction, the batch's Merkle root and its block. A
   * receipt already on-chain (posted before a crash) resolves with the transaction that recorded it. Throws
   * {@link ReceiptRejectedError} when ComputeReceipts refuses this receipt itself (retrying cannot help).
   */
  recordReceipt(receipt: JobReceipt): Promise<RecordedReceipt>;
}

/** Where a receipt was recorded: the transaction, the root of its batch (the leaf itself for one) and the block. */
export type RecordedReceipt = { txHash: string; root: string; blockNumber: number };

/** ComputeReceipts refuses the receipt itself (e.g. its order expired beyond the record window): final. */
export class ReceiptRejectedError extends Error {
  override name = 'ReceiptRejectedError';
  constructor(
    message: string,
    /** The contract's custom error, when decoded (e.g. `ComputeReceiptsRecordedTooLate`). */
    readonly contractError?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The parts of an asset document the provider acts upon. */
export type AssetView = {
  /** The provider the document names (its address must be this provider's). */
  provider: { address: string };
  /** Service ids are the on-chain `serviceId`s, as decimal strings. */
  services: { id: string; type: 'access' | 'compute'; timeoutSeconds?: number | undefined }[];
  /**
   * `allowedAlgorithms`: the algorithm hashes (whole container specs) the owner approved;
   * `allowAnyAlgorithm` with `allowedImages`: any spec on one of those images.
   */
  compute?: { allowedAlgorithms: string[]; allowAnyAlgorithm: boolean; allowedImages: string[]; /** The runtime jobs on this data must run under. */ requireRuntime?: 'runsc' | undefined; limits: JobLimits; output: OutputPolicyView & { /** The owner reviews each job's outputs before release. */ review?: boolean | undefined } } | undefined;
  /** `size`: the plaintext's bytes as the document declares them (the release budget's default is a fraction of it). */
  content: { encryptedContentCid: string; sealedKey: string; contentHash: string; fileName: string; size: number };
};

export type JobLimits = { cpus: number; memoryBytes: number; timeoutSeconds: number; pidsLimit: number; outputBytes: number };
/**
 * `maxReleaseBytes`: the release budget over everything a buyer receives from a job (file
 * contents, file names, the log tail, the reason); in a document it is the owner's, absent
 * for the default; in a job's effective policy it is always set (see effectiveJobPolicy).
 * `allowUnsafeFormats`: outputs may be pickles and the like (loading them runs code); absent
 * or false, the runner refuses them by content. A job's is true only if every dataset's is.
 */
export type OutputPolicyView = {
  maxBytes: number;
  maxReleaseBytes?: number | undefined;
  allowedPatterns: string[];
  logs: 'none' | { tail: number };
  leakGuard: { enabled: boolean; minRunBytes: number };
  allowUnsafeFormats?: boolean | undefined;
};

export interface DocumentsPort {
  /**
   * Loads the asset document at `cid` and checks its sha256 against `expectedHash`
   * (throwing ASSET_DOCUMENT_MISMATCH) before any of it is trusted.
   */
  load(params: { cid: string; expectedHash: string; signal?: AbortSignal }): Promise<AssetView>;
}

export interface StoragePort {
  cat(cid: string, options?: { signal?: AbortSignal }): AsyncIterable<Uint8Array>;
  add(source: AsyncIterable<Uint8Array> | Uint8Array, options?: { signal?: AbortSignal }): Promise<string>;
  /** The byte size a UnixFS root declares (one block read); VALIDATION for other codecs. */
  stat(cid: string, options?: { signal?: AbortSignal }): Promise<{ bytes: number }>;
  /**
   * Fetches a whole DAG without pinning it and returns the bytes of its blocks; stops with
   * PIN_TOO_LARGE (deleting what it fetched) once they exceed `maxBytes`. No block for
   * `idleTimeoutMs` fails (`CID_NOT_FOUND`) keeping what arrived, so a later fetch resumes.
   */
  fetch(cid: string, options: { signal?: AbortSignal; maxBytes: number; idleTimeoutMs?: number; onProgress?: (p: { bytes: number }) => void }): Promise<{ bytes: number }>;
  /** Fetches (from connected peers) and pins a DAG. */
  pin(cid: string, options?: { signal?: AbortSignal }): Promise<void>;
  dial(address: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** One block stored here, as stored (never fetched from the network); undefined when absent. VALIDATION for a bad CID. */
  block(cid: string): Promise<Uint8Array | undefined>;
}

/**
 * What a bound sealed key (`cove-seal-v2`) says it is for: the asset minted on `dataNft`
 * of chain `chainId` by `publisher` (its creator). Addresses lower-case or checksummed.
 */
export type KeyBinding = { chainId: bigint; dataNft: string; publisher: string };

export interface CryptoPort {
  /**
   * Opens a content key sealed to the provider's X25519 key; `binding` is present when the
   * key was sealed bound (v2). Throws when the key is not sealed to this provider.
   */
  openKey(sealed: string): { key: Uint8Array; binding?: KeyBinding | undefined };
  /**
   * The binding of a key sealed to the provider (undefined for an unbound v1 key), the key
   * itself wiped at once; throws when the key is not sealed to this provider. May be cached.
   */
  bindingOf(sealed: string): KeyBinding | undefined;
  /** Seals a content key to a recipient's X25519 public key (0x-hex). */
  sealKey(key: Uint8Array, recipientPublicKey: string): string;
  /** Decrypts an envelope stream with `key` into `path`; returns the plaintext's sha256 (0x-hex). */
  decryptToFile(params: { source: AsyncIterable<Uint8Array>; key: Uint8Array; path: string; signal?: AbortSignal }): Promise<{ sha256: string; bytes: number }>;
  /** Encrypts the file at `path` with a fresh key; returns the ciphertext stream and the key. */
  encryptFile(params: { path: string; signal?: AbortSignal }): { key: Uint8Array; ciphertext: AsyncIterable<Uint8Array> };
}

export type OutputManifest = { files: { path: string; size: number; sha256: string }[]; outputsHash: string };

export type EngineJobSpec = {
  jobId: string;
  /** The approved container spec, run exactly: image ID, entrypoint, command, working dir, env, user. */
  algorithm: Pick<AlgorithmSpec, 'image' | 'entrypoint' | 'command' | 'workingDir' | 'env' | 'user'>;
  /** Host directory holding `inputs/<assetId>/…` and the extracted code bundle in `algorithm/`. */
  workspace: string;
  assetIds: string[];
  /** The bundle's files, relative to `<workspace>/algorithm/`. */
  algorithmFiles: string[];
  limits: JobLimits;
  output: OutputPolicyView;
};

export type EngineOutcome = {
  status: TerminalStatus;
  reason?: string | undefined;
  /** Present when outputs were collected (status succeeded). */
  manifest?: OutputManifest | undefined;
  /** A file holding the released outputs as one bundle (tar), when collected. */
  bundlePath?: string | undefined;
  /** Logs as released by the output policy (succeeded, and failed / timed_out / oom_killed whose tail passed the leak guard). */
  logs?: string | undefined;
  imageDigest: string;
  /** The runner's hash of the algorithm files it mounted (0x-hex). */
  codeHash?: string | undefined;
  /** The OCI runtime the job ran under (`runsc`: gVisor). */
  runtime?: 'runc' | 'runsc' | undefined;
  startedAt: number;
  finishedAt: number;
};

/** A job the engine found (by container label) after a restart. */
export type RecoveredJob = { jobId: string; state: 'running' | 'exited' };

export interface EnginePort {
  /** Hands the job to the engine; `onRunning` fires once its container actually runs. */
  start(spec: EngineJobSpec, options?: { signal?: AbortSignal; onRunning?: () => void }): Promise<void>;
  /** Resolves when the job reaches a terminal state, outputs collected and policy applied. */
  wait(jobId: string): Promise<EngineOutcome>;
  stop(jobId: string): Promise<void>;
  /** Jobs whose containers survived a provider restart; `wait` works for each afterwards. */
  recover(): Promise<RecoveredJob[]>;
  /** Removes a recovered job's container and workspace without collecting it. */
  discard(jobId: string): Promise<void>;
  /** The image ID (sha256:…) of a local image reference, or undefined when absent. */
  resolveImage(ref: string): Promise<string | undefined>;
}
