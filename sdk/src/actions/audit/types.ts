import type { JobReceipt, JobRuntimeName, JobStatusName } from '../../contracts/index.js';
import { CoveError } from '../../errors.js';

/** The checks `verifyJob` runs, in order. */
export const AUDIT_CHECKS = [
  'receiptExists',
  'providerSignature',
  'providerRegistered',
  'ordersValid',
  'datasetContentHashes',
  'documentUnchangedSinceJob',
  'algorithmAllowed',
  'algorithmSpec',
  'outputsHash',
] as const;
/** The checks `verifyModel` adds on top of each parent job's verdict. */
export const MODEL_CHECKS = ['lineageRecorded', 'parentJobs', 'outputsListing', 'modelFiles'] as const;
export type AuditCheckName = (typeof AUDIT_CHECKS)[number] | (typeof MODEL_CHECKS)[number];

/**
 * Why a check failed, stable for callers to match on (the `reason` text is for people).
 * `NOT_EVALUATED` means a prerequisite was missing (e.g. no receipt); `CHECK_ERROR` that a read failed.
 */
export type AuditFailureCode =
  | 'NOT_EVALUATED'
  | 'CHECK_ERROR'
  | 'RECEIPT_NOT_FOUND'
  | 'JOB_ID_REUSED'
  | 'BATCH_NOT_RECORDED'
  | 'BATCH_INCOMPLETE'
  | 'MERKLE_ROOT_MISMATCH'
  | 'RECORD_TX_NOT_FOUND'
  | 'SIGNATURE_NOT_DECODABLE'
  | 'SIGNATURE_INVALID'
  | 'SIGNER_MISMATCH'
  | 'CALLDATA_RECEIPT_MISMATCH'
  | 'PROVIDER_NEVER_REGISTERED'
  | 'PROVIDER_NOT_REGISTERED_AT_JOB'
  | 'PROVIDER_DEREGISTERED'
  | 'ORDER_UNKNOWN'
  | 'ORDER_PROVIDER_MISMATCH'
  | 'ORDER_EVENT_MISSING'
  | 'ORDER_EVENT_MISMATCH'
  | 'ORDER_EXPIRED'
  | 'ORDER_SPENT_BY_OTHER_JOB'
  | 'ORDER_NOT_SPENT'
  | 'ORDER_CONSUMER_MISMATCH'
  | 'DOCUMENT_HISTORY_INCOMPLETE'
  | 'DOCUMENT_UNAVAILABLE'
  | 'CONTENT_HASH_MISMATCH'
  | 'DOCUMENT_CHANGED'
  | 'NO_COMPUTE_POLICY'
  | 'SERVICE_NOT_COMPUTE'
  | 'IMAGE_NOT_ALLOWED'
  | 'ALGORITHM_NOT_APPROVED'
  | 'ALGORITHM_SPEC_MISMATCH'
  | 'RUNTIME_NOT_ALLOWED'
  | 'ALGORITHM_HASH_MISMATCH'
  | 'JOB_NOT_SUCCEEDED'
  | 'RESULT_FILES_UNREADABLE'
  | 'OUTPUTS_HASH_MISMATCH'
  | 'NO_LINEAGE'
  | 'DOCUMENT_LINEAGE_MISMATCH'
  | 'PARENT_JOB_FAILED'
  | 'OUTPUTS_LISTING_MISMATCH'
  | 'MODEL_FILES_MISMATCH';

/** One named check of a verdict: whether it passed and why. */
export type AuditCheck = {
  name: AuditCheckName;
  ok: boolean;
  /** Why it passed or failed, in words. */
  reason: string;
  /** Set when `ok` is false. */
  code?: AuditFailureCode;
  details?: Record<string, unknown>;
};

/** Where something happened on-chain. */
export type ChainRef = { blockNumber: number; transactionHash: string; logIndex: number };

/** The verdict on one job. */
export type JobVerdict = {
  jobId: string;
  /** Every check evaluated passed. */
  ok: boolean;
  checks: AuditCheck[];
  /** Checks not applicable to this call (e.g. `outputsHash` without result files), with why. */
  skipped: { name: AuditCheckName; reason: string }[];
  /** The stored receipt; undefined when none exists. */
  receipt: JobReceipt | undefined;
  status: JobStatusName | undefined;
  /** The provider ComputeReceipts recorded as signer. */
  provider: string | undefined;
  /** The `recordJob` transaction (its `JobRecorded` log). */
  recorded: ChainRef | undefined;
  /** Where the receipt sits: its batch's Merkle root, its position and the batch's size (absent without a receipt). */
  batch?: { root: string; index: number; count: number };
  /**
   * True when a dataset's policy allowed any algorithm, so the code that ran was not one its
   * owner approved: the verdict can be ok, but it vouches for the data and the receipt only.
   */
  anyAlgorithm: boolean;
  /** The OCI runtime the receipt says the job ran under (`runsc`: gVisor; `none`: no container ran); undefined without a receipt. */
  runtime: JobRuntimeName | undefined;
};

/** Codes `verifyJob` and `auditAsset` throw (a failed check is a verdict, not an error). */
export type AuditErrorCode = 'INVALID_AUDIT_PARAMS' | 'ASSET_NOT_FOUND' | 'ABORTED';

/** Thrown for bad parameters, unknown assets or cancellation; match on `code`. */
export class AuditError extends CoveError<AuditErrorCode> {
  override name = 'AuditError';
}

/** Throws `ABORTED` when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AuditError('ABORTED', 'audit aborted', { cause: signal.reason });
}

/** A passing check. */
export function pass(name: AuditCheckName, reason: string, details?: Record<string, unknown>): AuditCheck {
  return { name, ok: true, reason, ...(details && { details }) };
}

/** A failing check. */
export function fail(name: AuditCheckName, code: AuditFailureCode, reason: string, details?: Record<string, unknown>): AuditCheck {
  return { name, ok: false, code, reason, ...(details && { details }) };
}
