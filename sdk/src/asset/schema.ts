import { CID } from 'multiformats/cid';
import { z } from 'zod';
import { algorithmHash, algorithmSpecSchema } from '../algorithm/spec.js';
import { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from '../crypto/envelope-format.js';

/** Version of the asset document schema this SDK writes and reads. */
export const ASSET_DOCUMENT_VERSION = 2;

const sha256Hex = z.string().regex(/^0x[0-9a-f]{64}$/, 'expected 0x followed by 64 lowercase hex digits');
const bytes32Hex = sha256Hex;
const imageId = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected an image ID sha256:<64 hex>');
const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected an EVM address');
const x25519PublicKey = z.string().regex(/^0x[0-9a-f]{64}$/, 'expected a 32-byte key as 0x + 64 lowercase hex');
const cid = z.string().refine((s) => {
  try {
    return CID.parse(s).version === 1;
  } catch {
    return false;
  }
}, 'expected a CIDv1').meta({
  // For the JSON Schema (json-schema.ts): the multibase prefixes and alphabets CID.parse accepts (base32, base36, base58btc).
  pattern: '^(b[a-z2-7]+|k[0-9a-z]+|z[1-9A-HJ-NP-Za-km-z]+)$',
  description: 'a CIDv1 string',
});
const positiveInt = z.int().positive();
const safeSize = z.int().nonnegative();

export const envelopeParamsSchema = z.strictObject({
  version: z.literal(1),
  algorithm: z.enum(['aes-256-gcm', 'chacha20-poly1305']),
  chunkSize: z.int().min(MIN_CHUNK_SIZE).max(MAX_CHUNK_SIZE),
});

export const contentSchema = z.strictObject({
  /** MIME type of the plaintext. */
  type: z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, 'expected a MIME type'),
  /** Plaintext size in bytes. */
  size: safeSize,
  /** sha256 of the plaintext. */
  contentHash: sha256Hex,
  encryptedContentCid: cid,
  /** The content key sealed to the provider's X25519 key (`sealKey`). */
  sealedKey: z.string().regex(/^cove-seal-v2:[A-Za-z0-9_-]+$/, 'expected a cove-seal-v2 sealed key (bound to chain, DataNFT and publisher)'),
  envelope: envelopeParamsSchema,
});

export const providerSchema = z.strictObject({
  address: evmAddress,
  url: z.url({ protocol: /^https?$/ }),
  x25519PublicKey,
});

export const priceSchema = z.strictObject({
  /** ERC-20 token paid, or the zero address for the native coin. */
  token: evmAddress,
  /** Amount in the token's base units, as a decimal integer string (no float rounding). */
  amount: z.string().regex(/^(0|[1-9][0-9]*)$/, 'expected a decimal integer string'),
});

export const serviceSchema = z.strictObject({
  /** Matches the on-chain service id used in `startOrder`. */
  id: z.int().nonnegative(),
  type: z.enum(['access', 'compute']),
  timeoutSeconds: positiveInt,
  price: priceSchema.optional(),
});

export const outputPolicySchema = z.strictObject({
  maxBytes: positiveInt,
  /**
   * The release budget: bytes of everything a buyer receives from one job (file contents,
   * file names, the released log tail, the reason string). Absent: the provider's default,
   * 1% of the dataset's plaintext size, at least 64 KiB and never above `maxBytes`.
   */
  maxReleaseBytes: positiveInt.optional(),
  /** Globs matched against output paths, e.g. `*.json`. */
  allowedPatterns: z.array(z.string().min(1)),
  logs: z.union([z.literal('none'), z.string().regex(/^tail:[1-9][0-9]*$/, "expected 'none' or 'tail:N'")]),
  leakGuard: z.strictObject({
    enabled: z.boolean(),
    /** Shortest run of dataset bytes that counts as a verbatim leak. */
    minRunBytes: positiveInt.default(64),
  }),
  /** True: the owner reviews each job's outputs before the buyer gets them (`cove review`); a job waits in `awaiting_release`. */
  review: z.boolean().optional(),
  /**
   * True: outputs may be in formats whose loading runs code on the buyer's machine (pickle,
   * joblib, torch zips, object `.npy`). Absent or false: the runner refuses them by content.
   */
  allowUnsafeFormats: z.boolean().optional(),
});

/** One algorithm the owner approved: its `algorithmHash`, and optionally the spec and where its code is, for buyers. */
export const approvedAlgorithmSchema = z
  .strictObject({
    /** `algorithmHash` of the whole container spec. */
    hash: sha256Hex,
    /** A name for people (shown by the CLI). */
    name: z.string().min(1).max(128).optional(),
    /** The approved spec itself, so a buyer can send exactly it; must hash to `hash`. */
    spec: algorithmSpecSchema.optional(),
    /** CID of the approved code bundle on IPFS. */
    codeCid: cid.optional(),
  })
  .refine((a) => a.spec === undefined || !algorithmSpecSchema.safeParse(a.spec).success || algorithmHash(a.spec) === a.hash, { message: 'spec does not hash to hash', path: ['spec'] });

export const computePolicySchema = z
  .strictObject({
    /** The whole container specs (by `algorithmHash`) that may run on the data. */
    allowedAlgorithms: z.array(approvedAlgorithmSchema).min(1).max(256).optional(),
    /** Any code, command and environment may run, on one of `allowedImages`: shown as such by every audit. */
    allowAnyAlgorithm: z.literal(true).optional(),
    /** With `allowAnyAlgorithm` only: the images any algorithm may run on. */
    allowedImages: z.array(imageId).min(1).optional(),
    /**
     * `runsc`: jobs on this data run under gVisor only (a user-space kernel between the job and the host's); a
     * provider without it refuses them, and an audit fails a receipt that says otherwise.
     */
    requireRuntime: z.literal('runsc').optional(),
    limits: z.strictObject({
      cpus: z.number().positive().max(1024),
      memoryBytes: positiveInt,
      timeoutSeconds: positiveInt,
      pidsLimit: positiveInt,
      outputBytes: positiveInt,
    }),
    outputPolicy: outputPolicySchema,
  })
  .superRefine((p, ctx) => {
    if ((p.allowAnyAlgorithm === true) === (p.allowedAlgorithms !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either allowedAlgorithms or allowAnyAlgorithm: true, not both and not neither', path: ['allowedAlgorithms'] });
    }
    if ((p.allowAnyAlgorithm === true) !== (p.allowedImages !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'allowedImages goes with allowAnyAlgorithm only (an approved algorithm names its image)', path: ['allowedImages'] });
    }
  });

/** One result file of a job: its path in the result bundle and the sha256 (hex) of its bytes. */
const outputFileSchema = z.strictObject({ path: z.string().min(1).max(4096), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

/**
 * A model's lineage. `parentJobIds` are the jobs it was trained by (the DataNFT records the same ids on-chain). For
 * each parent, `parents` records the job's `outputsHash` (from its receipt), its whole output listing (which hashes
 * to that `outputsHash` under the runner's listing rule) and `modelFiles`, the paths of those outputs the model's
 * content is: an auditor with the model's bytes checks each against the listing (`verifyModel`).
 */
const lineageSchema = z.strictObject({
  parentJobIds: z.array(bytes32Hex).min(1).max(16),
  parents: z
    .array(z.strictObject({ jobId: bytes32Hex, outputsHash: bytes32Hex, outputs: z.array(outputFileSchema).max(10_000), modelFiles: z.array(z.string().min(1).max(4096)).max(10_000) }))
    .max(16)
    .optional(),
});

export const assetDocumentSchema = z
  .strictObject({
    version: z.literal(ASSET_DOCUMENT_VERSION),
    name: z.string().min(1).max(256),
    description: z.string().max(10_000),
    tags: z.array(z.string().min(1).max(64)).max(64),
    /** SPDX identifier or a URL. */
    license: z.string().min(1).max(256),
    kind: z.enum(['dataset', 'algorithm', 'model']),
    content: contentSchema,
    provider: providerSchema,
    services: z.array(serviceSchema).min(1),
    computePolicy: computePolicySchema.optional(),
    lineage: lineageSchema.optional(),
    /** ISO 8601 UTC timestamp. */
    created: z.iso.datetime(),
  })
  .superRefine((doc, ctx) => {
    const ids = doc.services.map((s) => s.id);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', message: 'service ids must be unique', path: ['services'] });
    if (doc.services.some((s) => s.type === 'compute') && doc.computePolicy === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a compute service needs a computePolicy', path: ['computePolicy'] });
    }
    if (doc.lineage !== undefined && doc.kind !== 'model') {
      ctx.addIssue({ code: 'custom', message: 'lineage is only for models', path: ['lineage'] });
    }
  });

/** A validated asset document (defaults filled in). */
export type AssetDocument = z.output<typeof assetDocumentSchema>;
/** What callers may write (defaults optional). */
export type AssetDocumentInput = z.input<typeof assetDocumentSchema>;
