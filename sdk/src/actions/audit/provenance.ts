/**
 * A verified job as an in-toto Statement v1 with a SLSA Provenance v1 predicate, the format
 * supply-chain tools read: the result files are the subjects, the datasets and the image the
 * resolved dependencies, the provider the builder; the on-chain receipt and the audit verdict
 * ride along in `cove_*` extension fields. Mapping: docs/auditing.md ("Provenance export").
 */
import { getAddress } from 'ethers';
import type { CoveAddresses } from '../../contracts/index.js';
import { CoveError } from '../../errors.js';
import { bareHex, imageIdOf } from './hashes.js';
import type { AuditCheckName, AuditFailureCode, JobVerdict } from './types.js';

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** `buildType` of a Cove compute job: the parameters below are what it means. */
export const COVE_COMPUTE_BUILD_TYPE = 'urn:cove:build-type:compute-job:v1';

/** An in-toto ResourceDescriptor (the fields this export uses). */
export type ResourceDescriptor = {
  name?: string;
  uri?: string;
  digest?: { sha256: string };
  mediaType?: string;
  annotations?: Record<string, unknown>;
};

/** The algorithm as the receipt names it; the whole spec when `verifyJob` was given one that hashes to it. */
export type ProvenanceAlgorithm = {
  algorithmHash: string;
  image: string;
  codeHash: string;
  entrypoint?: string[];
  command?: string[];
  workingDir?: string;
  env?: string[];
  user?: string;
};

/** The verdict a statement carries: `VERIFIED_ANY_ALGORITHM` when a policy let any code run. */
export type ProvenanceVerdict = 'VERIFIED' | 'VERIFIED_ANY_ALGORITHM' | 'FAILED';

export type ProvenanceStatement = {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: (ResourceDescriptor & { name: string; digest: { sha256: string } })[];
  predicateType: typeof SLSA_PROVENANCE_V1;
  predicate: {
    buildDefinition: {
      buildType: typeof COVE_COMPUTE_BUILD_TYPE;
      externalParameters: { algorithm: ProvenanceAlgorithm; datasets: { assetId: string; orderId: string }[] };
      internalParameters: { runtime: string | undefined };
      resolvedDependencies: ResourceDescriptor[];
    };
    runDetails: {
      builder: { id: string };
      metadata: { invocationId: string; startedOn: string; finishedOn: string };
      byproducts: ResourceDescriptor[];
      cove_receipt: {
        chainId: string;
        contracts: { computeReceipts: string; dataNFT: string; providerRegistry: string };
        provider: string;
        jobId: string;
        /** The orders' consumer, as the receipt signs it. */
        consumer: string;
        /** The receipt batch: Merkle root the provider signed, the receipt's index in it, and its size. */
        batch?: { root: string; index: number; count: number };
        /** The recording transaction; absent when the audit did not find its `JobRecorded` log. */
        transactionHash?: string;
        blockNumber?: number;
        logIndex?: number;
        orderIds: string[];
        assetIds: string[];
        datasetContentHashes: string[];
        algorithmImageDigest: string;
        algorithmCodeHash: string;
        algorithmHash: string;
        outputsHash: string;
        resultCid: string;
        status: string | undefined;
        runtime: string | undefined;
        startedAt: string;
        finishedAt: string;
      };
      cove_audit: {
        verdict: ProvenanceVerdict;
        anyAlgorithm: boolean;
        checks: { name: AuditCheckName; ok: boolean; code?: AuditFailureCode }[];
        skipped: AuditCheckName[];
      };
    };
  };
};

export type ProvenanceStatementParameters = {
  /** The chain the receipt is on and the deployment's contracts (`client.chainId`, `client.addresses`). */
  chainId: bigint;
  contracts: Pick<CoveAddresses, 'computeReceipts' | 'dataNFT' | 'providerRegistry'>;
  /** Export a verdict that is not VERIFIED too (its failed checks are in `cove_audit`). Default false. */
  allowUnverified?: boolean;
};

export type ProvenanceErrorCode = 'NOT_VERIFIED' | 'NO_RECEIPT' | 'NO_RESULT_FILES';

/** Thrown when a verdict cannot (or, unverified, may not) become a statement; match on `code`. */
export class ProvenanceError extends CoveError<ProvenanceErrorCode> {
  override name = 'ProvenanceError';
}

/** Seconds since the epoch as RFC 3339 UTC (`2025-01-02T03:04:05Z`). */
function isoSeconds(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

const sha256 = (hash: string) => ({ sha256: bareHex(hash) });
const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** The spec `algorithmSpec` checked, when it passed: what ran, field by field. */
function verifiedSpec(verdict: JobVerdict): Omit<ProvenanceAlgorithm, 'algorithmHash'> | undefined {
  const check = verdict.checks.find((c) => c.name === 'algorithmSpec');
  if (check?.ok !== true || typeof check.details?.canonical !== 'string') return undefined;
  const { image, codeHash, entrypoint, command, workingDir, env, user } = JSON.parse(check.details.canonical) as Omit<ProvenanceAlgorithm, 'algorithmHash'>;
  return { image, codeHash, entrypoint, command, workingDir, env, user };
}

/**
 * The in-toto Statement v1 / SLSA Provenance v1 of a job, from its `verifyJob` verdict
 * (which must have been given the result files: they are the subjects). Throws a
 * `ProvenanceError`: `NOT_VERIFIED` for a failed verdict unless `allowUnverified`,
 * `NO_RECEIPT` without a receipt, `NO_RESULT_FILES` when the verdict hashed no result files.
 *
 * @example
 * const verdict = await verifyJob(cove, { jobId, resultFiles: './results', algorithm });
 * const statement = provenanceStatement(verdict, { chainId: cove.chainId, contracts: cove.addresses });
 * writeFileSync('job.intoto.json', JSON.stringify(statement, null, 2));
 */
export function provenanceStatement(verdict: JobVerdict, params: ProvenanceStatementParameters): ProvenanceStatement {
  const { receipt, provider } = verdict;
  if (receipt === undefined || provider === undefined) throw new ProvenanceError('NO_RECEIPT', `job ${verdict.jobId} has no receipt: there is nothing to attest`);
  const failed = verdict.checks.filter((c) => !c.ok);
  if (!verdict.ok && params.allowUnverified !== true) {
    throw new ProvenanceError('NOT_VERIFIED', `job ${verdict.jobId} is not VERIFIED (failed ${failed.map((c) => c.name).join(', ')}): refusing to export its provenance`, {
      details: { failed: failed.map((c) => ({ name: c.name, code: c.code })) },
    });
  }
  const files = verdict.checks.find((c) => c.name === 'outputsHash')?.details?.files as { path: string; sha256: string }[] | undefined;
  if (files === undefined || files.length === 0) {
    throw new ProvenanceError('NO_RESULT_FILES', `the verdict on job ${verdict.jobId} hashed no result files (give them to verifyJob): they are the statement's subjects`);
  }

  const chainId = params.chainId.toString();
  const dataNFT = getAddress(params.contracts.dataNFT);
  const documents = (verdict.checks.find((c) => c.name === 'datasetContentHashes')?.details?.assets ?? []) as { assetId: string; cid?: string }[];
  const datasets = receipt.assetIds.map((assetId, i) => ({ assetId: assetId.toString(), orderId: receipt.orderIds[i]!, contentHash: receipt.datasetContentHashes[i]! }));
  const imageId = imageIdOf(receipt.algorithmImageDigest);
  const spec = verifiedSpec(verdict);
  const at = verdict.recorded;

  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [...files].sort((a, b) => utf8Order(a.path, b.path)).map((f) => ({ name: f.path, digest: sha256(f.sha256) })),
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: COVE_COMPUTE_BUILD_TYPE,
        externalParameters: {
          algorithm: { algorithmHash: receipt.algorithmHash, ...(spec ?? {}), image: imageId, codeHash: receipt.algorithmCodeHash },
          datasets: datasets.map(({ assetId, orderId }) => ({ assetId, orderId })),
        },
        internalParameters: { runtime: verdict.runtime },
        resolvedDependencies: [
          ...datasets.map((d) => {
            const cid = documents.find((doc) => doc.assetId === d.assetId)?.cid;
            return {
              name: `dataset ${d.assetId}`,
              uri: `eip155:${chainId}/erc721:${dataNFT}/${d.assetId}`,
              digest: sha256(d.contentHash),
              annotations: { assetId: d.assetId, orderId: d.orderId, ...(cid !== undefined && { documentCid: cid }) },
            };
          }),
          { name: 'image', digest: sha256(receipt.algorithmImageDigest), mediaType: 'application/vnd.oci.image.config.v1+json', annotations: { imageId } },
        ],
      },
      runDetails: {
        builder: { id: `eip155:${chainId}:${getAddress(provider)}` },
        metadata: { invocationId: verdict.jobId, startedOn: isoSeconds(receipt.startedAt), finishedOn: isoSeconds(receipt.finishedAt) },
        byproducts: receipt.resultCid === '' ? [] : [{ name: 'result bundle', uri: `ipfs://${receipt.resultCid}` }],
        cove_receipt: {
          chainId,
          contracts: { computeReceipts: getAddress(params.contracts.computeReceipts), dataNFT, providerRegistry: getAddress(params.contracts.providerRegistry) },
          provider: getAddress(provider),
          jobId: verdict.jobId,
          consumer: getAddress(receipt.consumer),
          ...(verdict.batch !== undefined && { batch: verdict.batch }),
          ...(at !== undefined && { transactionHash: at.transactionHash, blockNumber: at.blockNumber, logIndex: at.logIndex }),
          orderIds: receipt.orderIds,
          assetIds: datasets.map((d) => d.assetId),
          datasetContentHashes: receipt.datasetContentHashes,
          algorithmImageDigest: receipt.algorithmImageDigest,
          algorithmCodeHash: receipt.algorithmCodeHash,
          algorithmHash: receipt.algorithmHash,
          outputsHash: receipt.outputsHash,
          resultCid: receipt.resultCid,
          status: verdict.status,
          runtime: verdict.runtime,
          startedAt: receipt.startedAt.toString(),
          finishedAt: receipt.finishedAt.toString(),
        },
        cove_audit: {
          verdict: !verdict.ok ? 'FAILED' : verdict.anyAlgorithm ? 'VERIFIED_ANY_ALGORITHM' : 'VERIFIED',
          anyAlgorithm: verdict.anyAlgorithm,
          checks: verdict.checks.map((c) => ({ name: c.name, ok: c.ok, ...(c.code !== undefined && { code: c.code }) })),
          skipped: verdict.skipped.map((s) => s.name),
        },
      },
    },
  };
}
