import type { Log } from 'ethers';
import type { AssetDocument } from '../../asset/schema.js';
import type { CoveClientBase } from '../../client/base.js';
import { isCoveError } from '../../errors.js';
import type { AuditIndexer, DocumentHistory, DocumentVersion, StoredReceipt } from './indexer.js';
import { isBefore } from './logs.js';
import type { AuditFailureCode, ChainRef } from './types.js';

/** What the checks of one job share. */
export type JobContext = {
  client: CoveClientBase;
  indexer: AuditIndexer;
  jobId: string;
  signal: AbortSignal | undefined;
  stored: StoredReceipt;
  recordLog: Log | undefined;
  /** Where `recordJob` ran: the reference point "at job time". */
  recorded: ChainRef | undefined;
  /** Job-time documents per asset, shared by the document checks. */
  jobDocuments: Map<string, Promise<JobTimeDocument>>;
};

/** The asset document in force when the job was recorded, or why it cannot be known. */
export type JobTimeDocument =
  | { ok: true; version: DocumentVersion; history: DocumentHistory; document: AssetDocument }
  | { ok: false; code: AuditFailureCode; reason: string; details?: Record<string, unknown> };

/** The version of `assetId`'s document anchored at the job's `recordJob`, loaded and hash-checked. */
export function jobTimeDocument(ctx: JobContext, assetId: bigint): Promise<JobTimeDocument> {
  const key = assetId.toString();
  let p = ctx.jobDocuments.get(key);
  if (p === undefined) {
    p = loadJobTimeDocument(ctx, assetId);
    ctx.jobDocuments.set(key, p);
  }
  return p;
}

async function loadJobTimeDocument(ctx: JobContext, assetId: bigint): Promise<JobTimeDocument> {
  if (ctx.recorded === undefined) {
    return { ok: false, code: 'RECORD_TX_NOT_FOUND', reason: 'the recordJob transaction was not found, so the job time is unknown' };
  }
  const history = await ctx.indexer.documentHistory(assetId);
  const recorded = ctx.recorded;
  const before = history.versions.filter((v) => isBefore(v, recorded));
  const version = before.at(-1);
  if (version === undefined) {
    return {
      ok: false,
      code: 'DOCUMENT_HISTORY_INCOMPLETE',
      reason: `asset ${assetId}: no document was anchored before block ${recorded.blockNumber} in the blocks searched (from ${ctx.indexer.fromBlock})`,
      details: { assetId, fromBlock: ctx.indexer.fromBlock },
    };
  }
  try {
    const document = await ctx.indexer.document(version.cid, version.hash, ctx.signal);
    return { ok: true, version, history, document };
  } catch (err) {
    if (ctx.signal?.aborted) throw err;
    const code = isCoveError(err) ? err.code : 'UNKNOWN';
    return {
      ok: false,
      code: 'DOCUMENT_UNAVAILABLE',
      reason: `asset ${assetId}: the document ${version.cid} anchored at job time could not be loaded and hash-checked (${code})`,
      details: { assetId, cid: version.cid, hash: version.hash, error: code, message: err instanceof Error ? err.message : String(err) },
    };
  }
}
