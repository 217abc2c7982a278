import { z } from 'zod';
import { algorithmSpecSchema } from '@cove/sdk';

/** Request and response schemas of the HTTP API; the OpenAPI document is generated from them. */
const hex = (bytes: number) => z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `expected 0x + ${bytes * 2} hex digits`);
export const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte address');
export const Bytes32 = hex(32);
const Uint = z.string().regex(/^(0|[1-9][0-9]{0,76})$/, 'expected a decimal integer string');
const Nonce = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'expected a decimal integer string below 2^63');
const Signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'expected a 65-byte 0x-hex signature');
const Expiry = z.int().positive().max(2 ** 40);

export const DatasetOrder = z.strictObject({ assetId: Uint, serviceId: Uint, orderTxHash: Bytes32 });

export const ComputeRequest = z.strictObject({
  consumer: Address,
  datasets: z.array(DatasetOrder).min(1).max(16),
  /** The whole container spec (image ID, code bundle hash, entrypoint, command, workingDir, env, user) and the bundle's CID ('' when inline). */
  algorithm: algorithmSpecSchema.extend({ codeCid: z.string().max(128) }),
  environment: z.string().min(1).max(64),
  consumerX25519: Bytes32,
  nonce: Nonce,
  expiry: Expiry,
});

export const ComputeBody = z.strictObject({
  request: ComputeRequest,
  signature: Signature,
  /** The algorithm bundle (a deterministic tar), base64, when it is not fetched by `request.algorithm.codeCid`. */
  algorithmCode: z.base64().optional(),
});

export const DownloadRequest = z.strictObject({
  consumer: Address,
  datasets: z.array(DatasetOrder).min(1).max(16),
  consumerX25519: Bytes32,
  nonce: Nonce,
  expiry: Expiry,
});
export const DownloadBody = z.strictObject({ request: DownloadRequest, signature: Signature });

export const PinRequest = z.strictObject({
  publisher: Address,
  cids: z.array(z.string().min(1).max(128)).min(1).max(8),
  from: z.array(z.string().min(1).max(512)).max(8),
  nonce: Nonce,
  expiry: Expiry,
});
export const PinBody = z.strictObject({ request: PinRequest, signature: Signature });
export const PinResponse = z.object({ pinned: z.array(z.string()) });

export const JobIdParam = z.strictObject({ jobId: Bytes32 });

/** An asset owner's signed review request (EIP-712 ReviewRequest); the route names the action. */
export const ReviewRequest = z.strictObject({
  assetId: Uint,
  action: z.enum(['list', 'inspect', 'release', 'reject']),
  /** Zero for `list`. */
  jobId: Bytes32,
  /** The owner's X25519 key the inspected bundle is sealed to; zero unless `inspect`. */
  ownerX25519: Bytes32,
  expiry: Expiry,
});
export const ReviewBody = z.strictObject({ request: ReviewRequest, signature: Signature });
const Manifest = z.object({ files: z.array(z.object({ path: z.string(), size: z.number(), sha256: z.string() })), outputsHash: z.string() });
export const PendingReleasesResponse = z.object({
  assetId: z.string(),
  jobs: z.array(z.object({ jobId: Bytes32, consumer: Address, createdAt: z.number(), finishedAt: z.number().nullable(), manifest: Manifest, reviewers: z.array(z.object({ assetId: z.string(), released: z.boolean() })) })),
});
export const InspectResponse = z.object({ jobId: Bytes32, manifest: Manifest, logs: z.string().nullable(), resultCid: z.string(), sealedKey: z.string() });
export const ReleaseResponse = z.object({ jobId: Bytes32, status: z.string(), pending: z.array(z.string()) });
export const RejectResponse = z.object({ jobId: Bytes32, status: z.string() });
export const AddressParam = z.strictObject({ address: Address });

/** The `JobAccess` token of reads and stops, sent as headers. */
export const JobAccessHeaders = z.object({
  'x-cove-expiry': z.coerce.number().pipe(Expiry),
  'x-cove-signature': Signature,
});

export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }) });

const Transition = z.object({ status: z.string(), reason: z.string().nullable(), at: z.number() });
const Receipt = z.object({ state: z.enum(['none', 'pending', 'posted', 'failed']), txHash: z.string().nullable(), error: z.string().nullable() });

export const JobStatusResponse = z.object({
  jobId: Bytes32,
  status: z.string(),
  reason: z.string().nullable(),
  environment: z.string(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  /** The OCI runtime the job ran under: `runsc` is gVisor (docs/runner.md, Runtimes); null until it ran. */
  runtime: z.enum(['runc', 'runsc']).nullable(),
  transitions: z.array(Transition),
  resultCid: z.string().nullable(),
  receipt: Receipt,
});

export const JobResultResponse = z.object({
  jobId: Bytes32,
  status: z.string(),
  reason: z.string().nullable(),
  manifest: z.object({ files: z.array(z.object({ path: z.string(), size: z.number(), sha256: z.string() })), outputsHash: z.string() }).nullable(),
  outputsHash: z.string().nullable(),
  resultCid: z.string().nullable(),
  sealedKey: z.string().nullable(),
  receipt: Receipt,
});

export const JobLogsResponse = z.object({ jobId: Bytes32, status: z.string(), logs: z.string() });
export const StartComputeResponse = z.object({ jobId: Bytes32, status: z.literal('queued') });
export const StopResponse = z.object({ jobId: Bytes32, status: z.string() });
export const DownloadResponse = z.object({
  datasets: z.array(z.object({ assetId: z.string(), encryptedContentCid: z.string(), contentHash: z.string(), sealedKey: z.string() })),
});
export const NonceResponse = z.object({ address: Address, lastNonce: z.string().nullable() });
/** One dependency of `/v1/health`: `ok` with facts (block number, addresses…) or `down` with the reason. */
export const DependencyHealth = z.object({ status: z.enum(['ok', 'down']), latencyMs: z.number(), error: z.string().optional() }).catchall(z.unknown());
/** `status` is `ok` (200) when every dependency is, else `unavailable` (503) with the same body. */
export const HealthResponse = z.object({
  status: z.enum(['ok', 'unavailable']),
  dependencies: z.record(z.string(), DependencyHealth),
  jobs: z.object({ waiting: z.number(), active: z.number() }),
});
export const InfoResponse = z.object({
  address: Address,
  chainId: z.string(),
  contracts: z.object({ dataNft: Address, computeReceipts: Address, providerRegistry: Address }),
  x25519PublicKey: Bytes32,
  /** Multiaddrs of the provider's IPFS node: dial them to fetch results and pinned assets. */
  ipfs: z.array(z.string()),
  eip712Domain: z.object({ name: z.string(), version: z.string(), chainId: z.string(), verifyingContract: Address }),
  environments: z.array(
    z.object({
      id: z.string(),
      cpus: z.number(),
      memoryBytes: z.number(),
      timeoutSeconds: z.number(),
      pidsLimit: z.number(),
      outputBytes: z.number(),
      images: z.array(z.object({ ref: z.string(), id: z.string().nullable() })),
    }),
  ),
  /** The OCI runtime jobs run under: `runsc` is gVisor (assets may require it: computePolicy.requireRuntime). */
  runtime: z.enum(['runc', 'runsc']),
  limits: z.object({ bodyBytes: z.number(), inlineCodeBytes: z.number(), maxSignatureTtlSeconds: z.number(), queueMax: z.number(), concurrency: z.number(), pinMaxBytes: z.number(), pinMaxStoredBytes: z.number() }),
});

export type InfoView = z.infer<typeof InfoResponse>;
