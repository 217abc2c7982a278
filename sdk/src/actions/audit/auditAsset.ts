import { ZeroHash } from 'ethers';
import type { CoveClientBase } from '../../client/base.js';
import { decodeContractError } from '../../contracts/index.js';
import { createAuditIndexer, type CreateAuditIndexerParameters } from './indexer.js';
import { mapLimit } from './logs.js';
import { AuditError, throwIfAborted, type ChainRef, type JobVerdict } from './types.js';
import { verifyJob } from './verifyJob.js';

export type AuditAssetProgress = { phase: 'orders' | 'jobs' | 'models'; done: number; total: number };

export type AuditAssetParameters = CreateAuditIndexerParameters & {
  assetId: bigint | number | string;
  /** Jobs verified at once. Default 8. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: AuditAssetProgress) => void;
};

/** One `OrderStarted` of the asset and the job that spent it, if any. */
export type AuditedOrder = ChainRef & {
  orderId: string;
  consumer: string;
  payer: string;
  serviceId: number;
  provider: string;
  validUntil: bigint;
  /** The job whose receipt spent the order, or null while unspent. */
  jobId: string | null;
};

/** A model published with one or more of the asset's jobs as parents. */
export type DerivedModel = ChainRef & {
  assetId: bigint;
  /** The parents that are jobs of this asset. */
  fromJobs: string[];
  /** Every parent job of the model (`parentJobsOf`). */
  parentJobIds: string[];
};

export type AuditAssetReturnType = {
  assetId: bigint;
  datatoken: string;
  /** The document anchored now. */
  document: { cid: string; hash: string };
  orders: AuditedOrder[];
  /** A verdict per job (without result files), in order of first use of the asset. */
  jobs: JobVerdict[];
  derivedModels: DerivedModel[];
  /** Every job's verdict is ok. */
  ok: boolean;
  /** The blocks searched; every read is pinned to `toBlock`. */
  blocks: { fromBlock: number; toBlock: number };
};

/**
 * Audits an asset: every order of its datatoken, every job that spent one (each verified
 * as `verifyJob` does, without result files), and every model whose lineage names one of
 * those jobs. Reads are pinned to one block, batched, and cached across jobs (documents by
 * CID, registry history by provider).
 *
 * @example
 * const audit = await auditAsset(client, { assetId: 7n, onProgress: (p) => console.log(p.phase, p.done, p.total) });
 * for (const job of audit.jobs) if (!job.ok) console.log(job.jobId, job.checks.filter((c) => !c.ok));
 */
export async function auditAsset(client: CoveClientBase, params: AuditAssetParameters): Promise<AuditAssetReturnType> {
  const { signal, onProgress } = params;
  let assetId: bigint;
  try {
    assetId = BigInt(params.assetId);
  } catch (cause) {
    throw new AuditError('INVALID_AUDIT_PARAMS', 'assetId must be an integer', { details: { assetId: params.assetId }, cause });
  }
  throwIfAborted(signal);
  const indexer = await createAuditIndexer(client, params);
  const datatoken = await indexer.datatokenOf(assetId).catch((err: unknown) => {
    if (decodeContractError(err)?.details?.error === 'DataNFTUnknownAsset') {
      throw new AuditError('ASSET_NOT_FOUND', `asset ${assetId} does not exist at block ${indexer.toBlock}`, { details: { assetId } });
    }
    throw err;
  });
  const [events, history] = await Promise.all([indexer.ordersOf(datatoken), indexer.documentHistory(assetId)]);
  throwIfAborted(signal);

  // Every read below goes out concurrently, so the provider batches them into few requests.
  const spentBy = await indexer.consumedOnAsset(assetId);
  const orders: AuditedOrder[] = events.map((e) => ({
    blockNumber: e.blockNumber,
    transactionHash: e.transactionHash,
    logIndex: e.logIndex,
    orderId: e.orderId,
    consumer: e.consumer,
    payer: e.payer,
    serviceId: Number(e.serviceId),
    provider: e.provider,
    validUntil: e.validUntil,
    jobId: spentBy.get(e.orderId)?.[0] ?? null,
  }));
  onProgress?.({ phase: 'orders', done: orders.length, total: orders.length });
  const jobIds = [...new Set(orders.flatMap((o) => (o.jobId === null ? [] : [o.jobId])))];
  await prefetch(indexer, datatoken, orders, jobIds);
  throwIfAborted(signal);

  let done = 0;
  const jobs = await mapLimit(jobIds, params.concurrency ?? 8, async (jobId) => {
    const verdict = await verifyJob(client, { jobId, indexer, signal });
    onProgress?.({ phase: 'jobs', done: ++done, total: jobIds.length });
    return verdict;
  });

  const ours = new Set(jobIds);
  const candidates = (await indexer.lineage()).filter((e) => e.parentJobIds.some((j) => ours.has(j.toLowerCase())));
  const derivedModels: DerivedModel[] = candidates.flatMap((e) => {
    const all = e.parentJobIds.map((j) => j.toLowerCase());
    const fromJobs = all.filter((j) => ours.has(j));
    if (fromJobs.length === 0) return [];
    return [{ blockNumber: e.blockNumber, transactionHash: e.transactionHash, logIndex: e.logIndex, assetId: e.assetId, fromJobs, parentJobIds: all }];
  });
  onProgress?.({ phase: 'models', done: derivedModels.length, total: derivedModels.length });

  return {
    assetId,
    datatoken,
    document: history.current,
    orders,
    jobs,
    derivedModels,
    ok: jobs.every((j) => j.ok),
    blocks: { fromBlock: indexer.fromBlock, toBlock: indexer.toBlock },
  };
}

/** Warms the indexer with every per-job read at once (receipts, record logs and transactions, order state). */
async function prefetch(indexer: Awaited<ReturnType<typeof createAuditIndexer>>, datatoken: string, orders: AuditedOrder[], jobIds: string[]): Promise<void> {
  const [logs] = await Promise.all([
    indexer.prefetchRecordLogs(jobIds).then(() => Promise.all(jobIds.map((j) => indexer.recordLog(j)))),
    Promise.all(jobIds.map((j) => indexer.receipt(j))),
    Promise.all(orders.map((o) => indexer.orderInfo(datatoken, o.orderId))),
  ]);
  await Promise.all(logs.flatMap((l) => (l === undefined ? [] : [indexer.transaction(l.transactionHash)])));
}
