import { isHexString } from 'ethers';
import type { CoveClientBase } from '../../client/base.js';
import { jobRuntimeName, jobStatusName } from '../../contracts/index.js';
import { checkOrdersValid, checkProviderRegistered, checkProviderSignature } from './checks-chain.js';
import type { AlgorithmSpec } from '../../algorithm/spec.js';
import { checkAlgorithmAllowed, checkAlgorithmSpec, checkDatasetContentHashes, checkDocumentUnchanged, checkOutputsHash } from './checks-documents.js';
import type { JobContext } from './context.js';
import type { ResultFilesInput } from './hashes.js';
import { createAuditIndexer, type AuditIndexer, type CreateAuditIndexerParameters, type StoredReceipt } from './indexer.js';
import { batchExists } from './receipt-locator.js';
import { refOf } from './logs.js';
import { AUDIT_CHECKS, AuditError, fail, pass, throwIfAborted, type AuditCheck, type AuditCheckName, type JobVerdict } from './types.js';

export type VerifyJobParameters = {
  /** The receipt's job id (bytes32, 0x hex). */
  jobId: string;
  /** The decrypted result files (path → bytes) or their directory: adds the `outputsHash` check. */
  resultFiles?: ResultFilesInput;
  /** The container spec the auditor was given: adds the `algorithmSpec` check (it hashes to the receipt's algorithmHash). */
  algorithm?: AlgorithmSpec;
  /** Shared cache of reads, e.g. when verifying many jobs; one is made per call otherwise. */
  indexer?: AuditIndexer;
  /** Used when no `indexer` is given: first block searched for events, block range per request, storage timeout. */
  fromBlock?: CreateAuditIndexerParameters['fromBlock'];
  blockRange?: CreateAuditIndexerParameters['blockRange'];
  documentTimeoutMs?: CreateAuditIndexerParameters['documentTimeoutMs'];
  signal?: AbortSignal;
};
export type VerifyJobReturnType = JobVerdict;


/**
 * Verifies a compute job from the chain and the bytes alone: the stored receipt, the
 * provider's EIP-712 signature from the `recordJob` calldata, the provider's registration,
 * the orders, the datasets' content hashes and the algorithm against the asset documents
 * anchored at job time, whether those documents changed since, and (given the result
 * files) the outputs hash. A failed check is a verdict (`ok: false`), not an error; a check
 * that cannot be evaluated fails with its reason.
 *
 * @example
 * const verdict = await verifyJob(client, { jobId, resultFiles: './results' });
 * if (!verdict.ok) for (const c of verdict.checks) if (!c.ok) console.log(c.name, c.code, c.reason);
 */
export async function verifyJob(client: CoveClientBase, params: VerifyJobParameters): Promise<VerifyJobReturnType> {
  const { signal } = params;
  if (!isHexString(params.jobId, 32)) throw new AuditError('INVALID_AUDIT_PARAMS', 'jobId must be a 32-byte 0x hex string', { details: { jobId: params.jobId } });
  const jobId = params.jobId.toLowerCase();
  throwIfAborted(signal);
  const indexer = params.indexer ?? (await createAuditIndexer(client, params));
  const [stored, recordLog] = await Promise.all([indexer.receipt(jobId), indexer.recordLog(jobId)]);
  throwIfAborted(signal);

  const wanted: AuditCheckName[] = AUDIT_CHECKS.filter((n) => (n !== 'outputsHash' || params.resultFiles !== undefined) && (n !== 'algorithmSpec' || params.algorithm !== undefined));
  const skipped = [
    ...(params.algorithm === undefined ? [{ name: 'algorithmSpec' as const, reason: 'no algorithm spec given' }] : []),
    ...(params.resultFiles === undefined ? [{ name: 'outputsHash' as const, reason: 'no result files given' }] : []),
  ];
  const recorded = recordLog === undefined ? undefined : refOf(recordLog);
  if (stored === undefined) {
    const checks = [
      fail('receiptExists', 'RECEIPT_NOT_FOUND', `ComputeReceipts has no receipt for ${jobId} at block ${indexer.toBlock}`),
      ...wanted.slice(1).map((n) => fail(n, 'NOT_EVALUATED', 'not evaluated: there is no receipt')),
    ];
    return { jobId, ok: false, checks, skipped, receipt: undefined, status: undefined, provider: undefined, recorded, anyAlgorithm: false, runtime: undefined };
  }

  const broken = receiptProblem(stored);
  if (broken !== undefined) {
    const checks = [broken, ...wanted.slice(1).map((n) => fail(n, 'NOT_EVALUATED', `not evaluated: ${broken.reason}`))];
    return { jobId, ok: false, checks, skipped, receipt: stored.receipt, status: undefined, provider: stored.provider, recorded, anyAlgorithm: false, runtime: undefined };
  }

  const ctx: JobContext = { client, indexer, jobId, signal, stored, recordLog, recorded, jobDocuments: new Map() };
  const where = recorded === undefined ? '' : `, recorded at block ${recorded.blockNumber} (tx ${recorded.transactionHash})`;
  const run: Record<Exclude<(typeof AUDIT_CHECKS)[number], 'receiptExists'>, () => Promise<AuditCheck>> = {
    providerSignature: () => checkProviderSignature(ctx),
    providerRegistered: () => checkProviderRegistered(ctx),
    ordersValid: () => checkOrdersValid(ctx),
    datasetContentHashes: () => checkDatasetContentHashes(ctx),
    documentUnchangedSinceJob: () => checkDocumentUnchanged(ctx),
    algorithmAllowed: () => checkAlgorithmAllowed(ctx),
    algorithmSpec: async () => checkAlgorithmSpec(ctx, params.algorithm!),
    outputsHash: () => checkOutputsHash(ctx, params.resultFiles!),
  };
  const evaluated = await Promise.all(
    wanted.slice(1).map(async (name) => {
      try {
        return await run[name as keyof typeof run]();
      } catch (err) {
        throwIfAborted(signal);
        return fail(name, 'CHECK_ERROR', `could not be evaluated: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  throwIfAborted(signal);
  const inBatch = stored.batch.count === 1 ? '' : ` (receipt ${stored.index + 1} of a batch of ${stored.batch.count})`;
  const found = pass('receiptExists', `ComputeReceipts recorded a receipt for ${jobId} signed by ${stored.provider}${inBatch}${where}`, { root: stored.root, index: stored.index, count: stored.batch.count, batchBlock: stored.batch.blockNumber });
  const checks = [found, ...evaluated];
  return {
    jobId,
    ok: checks.every((c) => c.ok),
    checks,
    skipped,
    receipt: stored.receipt,
    status: jobStatusName(stored.receipt.status),
    runtime: jobRuntimeName(stored.receipt.runtime),
    provider: stored.provider,
    recorded,
    batch: { root: stored.root, index: stored.index, count: stored.batch.count },
    anyAlgorithm: checks.some((c) => c.name === 'algorithmAllowed' && (c.details?.assets as { anyAlgorithm?: boolean }[] | undefined)?.some((a) => a.anyAlgorithm === true) === true),
  };
}

/** Why a located receipt cannot be trusted as the job's one receipt, as a failed `receiptExists`; undefined if sound. */
function receiptProblem(stored: StoredReceipt): AuditCheck | undefined {
  if (stored.records > 1) {
    return fail('receiptExists', 'JOB_ID_REUSED', `${stored.records} receipts carry job id ${stored.receipt.jobId}: its provider reused the id, so none identifies the job`, { records: stored.records });
  }
  if (!batchExists(stored.batch)) return fail('receiptExists', 'BATCH_NOT_RECORDED', `ComputeReceipts has no batch ${stored.root} (named by the job's JobRecorded event)`, { root: stored.root });
  if (stored.batch.count !== stored.receipts.length || stored.batch.blockNumber !== stored.log.blockNumber) {
    return fail('receiptExists', 'BATCH_INCOMPLETE', `batch ${stored.root} holds ${stored.batch.count} receipt(s) recorded at block ${stored.batch.blockNumber}; its events in block ${stored.log.blockNumber} rebuild ${stored.receipts.length}`, {
      root: stored.root,
      count: stored.batch.count,
      rebuilt: stored.receipts.length,
    });
  }
  return undefined;
}
