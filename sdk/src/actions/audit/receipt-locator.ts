import { AbiCoder, Interface, ZeroAddress, getAddress, toBeHex, zeroPadValue, type Log, type Provider, type Result } from 'ethers';
import { computeReceiptsAbi, type JobReceipt } from '../../contracts/index.js';
import { compareLogs, getLogsForTopics, getLogsRange, memo } from './logs.js';

// Receipts v2 are found from events alone: a job's `JobRecorded` names its batch root; the batch's block holds every
// `JobRecorded` and `OrderConsumed` of the batch, in calldata order, from which each receipt is rebuilt exactly. The
// chain's `batchOf(root)` says who signed it and where; the signature itself is read from the transaction's calldata.

const receiptsIface = new Interface(computeReceiptsAbi);
export const RECEIPT_TOPIC = { jobRecorded: receiptsIface.getEvent('JobRecorded')!.topicHash, orderConsumed: receiptsIface.getEvent('OrderConsumed')!.topicHash };
// The events' non-indexed fields, decoded directly: ethers' `parseLog` hashes every event signature of the ABI to
// find the event, per log, which dominated an audit of many jobs.
const JOB_RECORDED_DATA = receiptsIface.getEvent('JobRecorded')!.inputs.filter((p) => !p.indexed);
const abiCoder = AbiCoder.defaultAbiCoder();
const jobRecordedData = (log: Log) => abiCoder.decode(JOB_RECORDED_DATA, log.data);

/** A recorded batch as the chain stores it (`provider` zero: no such batch). */
export type BatchRecord = { provider: string; blockNumber: number; count: number };

/** A job's receipt, located in its batch. */
export type LocatedReceipt = {
  receipt: JobReceipt;
  /** The batch's signer (the chain's `batchOf(root).provider`). */
  provider: string;
  root: string;
  /** Position of the receipt in its batch. */
  index: number;
  batch: BatchRecord;
  /** The batch's receipts rebuilt from its events, in order. */
  receipts: JobReceipt[];
  /** The job's `JobRecorded` log (the first, when a provider reused the id). */
  log: Log;
  /** How many `JobRecorded` logs carry this job id: more than one means the provider reused it. */
  records: number;
};

export type ReceiptLocator = {
  /** The job's receipt, or undefined when no `JobRecorded` names it. */
  locate(jobId: string): Promise<LocatedReceipt | undefined>;
  /** Every `JobRecorded` log of a job id. */
  recordLogs(jobId: string): Promise<Log[]>;
  /** Fetches the `JobRecorded` logs of many jobs in a few requests. */
  prefetch(jobIds: string[]): Promise<void>;
  /** Every `OrderConsumed` log of an order (one, once its receipt is recorded). */
  orderConsumed(orderId: string): Promise<{ jobId: string; log: Log }[]>;
  batch(root: string): Promise<BatchRecord>;
  /** Every `OrderConsumed` of an asset in one request, by order id (and cached for `orderConsumed`). */
  consumedOnAsset(assetId: bigint): Promise<Map<string, string[]>>;
};

/**
 * Finds receipts on a ComputeReceipts contract, caching every read; reads are pinned to `range.toBlock`.
 *
 * @example
 * const locator = createReceiptLocator(provider, receiptsAddress, { fromBlock: 0, toBlock: await provider.getBlockNumber() });
 * const found = await locator.locate(jobId);
 */
export function createReceiptLocator(provider: Provider, address: string, range: { fromBlock: number; toBlock: number; blockRange?: number | undefined }): ReceiptLocator {
  const contract = { batchOf: receiptsIface.getFunction('batchOf')! };
  const records = memo((jobId) => getLogsRange(provider, { address, topics: [RECEIPT_TOPIC.jobRecorded, jobId] }, range));
  const batches = memo(async (root): Promise<BatchRecord> => {
    const data = receiptsIface.encodeFunctionData(contract.batchOf, [root]);
    const raw = await provider.call({ to: address, data, blockTag: range.toBlock });
    const [b] = receiptsIface.decodeFunctionResult(contract.batchOf, raw) as unknown as [Result];
    return { provider: getAddress(b.provider as string), blockNumber: Number(b.blockNumber), count: Number(b.count) };
  });
  // Both events of one block, in one request; batches recorded in the same block share it.
  const blockLogs = memo((block) => provider.getLogs({ address, topics: [[RECEIPT_TOPIC.jobRecorded, RECEIPT_TOPIC.orderConsumed]], fromBlock: Number(block), toBlock: Number(block) }));
  const batchReceipts = memo(async (key) => {
    const [root, block] = key.split('@') as [string, string];
    return rebuildBatch((await blockLogs.get(block)).sort(compareLogs), root);
  });
  const consumed = memo(async (orderId) => {
    const logs = await getLogsRange(provider, { address, topics: [RECEIPT_TOPIC.orderConsumed, orderId] }, range);
    return logs.map((log) => ({ jobId: log.topics[2]!.toLowerCase(), log }));
  });

  return {
    recordLogs: (jobId) => records.get(jobId.toLowerCase()),
    async prefetch(ids) {
      const logs = await getLogsForTopics(provider, { address, topic0: RECEIPT_TOPIC.jobRecorded, position: 1, values: ids }, range);
      const byJob = new Map<string, Log[]>();
      for (const l of logs) byJob.set(l.topics[1]!.toLowerCase(), [...(byJob.get(l.topics[1]!.toLowerCase()) ?? []), l]);
      for (const id of ids) records.set(id.toLowerCase(), byJob.get(id.toLowerCase()) ?? []);
    },
    orderConsumed: (orderId) => consumed.get(orderId.toLowerCase()),
    batch: (root) => batches.get(root.toLowerCase()),
    async consumedOnAsset(assetId) {
      const logs = await getLogsRange(provider, { address, topics: [RECEIPT_TOPIC.orderConsumed, null, null, zeroPadValue(toBeHex(assetId), 32)] }, range);
      const byOrder = new Map<string, { jobId: string; log: Log }[]>();
      for (const log of logs) {
        const orderId = log.topics[1]!.toLowerCase();
        byOrder.set(orderId, [...(byOrder.get(orderId) ?? []), { jobId: log.topics[2]!.toLowerCase(), log }]);
      }
      for (const [orderId, found] of byOrder) consumed.set(orderId, found);
      return new Map([...byOrder].map(([orderId, found]) => [orderId, found.map((f) => f.jobId)]));
    },
    async locate(jobId) {
      const logs = await records.get(jobId.toLowerCase());
      const log = logs[0];
      if (log === undefined) return undefined;
      const root = log.topics[2]!.toLowerCase();
      const batch = await batches.get(root);
      // The batch's events are in the block of its own transaction, which is this log's block.
      const receipts = await batchReceipts.get(`${root}@${log.blockNumber}`);
      const index = receipts.findIndex((r) => r.jobId.toLowerCase() === jobId.toLowerCase());
      if (index < 0) return undefined;
      return { receipt: receipts[index]!, provider: batch.provider, root, index, batch, receipts, log, records: logs.length };
    },
  };
}

/** The receipts of batch `root` from its block's logs: each job's `OrderConsumed` logs precede its `JobRecorded`. */
function rebuildBatch(logs: Log[], root: string): JobReceipt[] {
  const out: JobReceipt[] = [];
  let orders: { orderId: string; assetId: bigint; contentHash: string }[] = [];
  let tx: string | undefined;
  for (const log of logs) {
    // Logs of other transactions in the block never mix with this batch's: reset at each transaction boundary.
    if (log.transactionHash !== tx) {
      tx = log.transactionHash;
      orders = [];
    }
    if (log.topics[0] === RECEIPT_TOPIC.orderConsumed) {
      // OrderConsumed(orderId indexed, jobId indexed, assetId indexed, contentHash): the data is the one word.
      orders.push({ orderId: log.topics[1]!.toLowerCase(), assetId: BigInt(log.topics[3]!), contentHash: log.data.slice(0, 66) });
      continue;
    }
    const jobOrders = orders;
    orders = [];
    if (log.topics[2]!.toLowerCase() !== root) continue;
    const a = jobRecordedData(log);
    out.push({
      jobId: log.topics[1]!.toLowerCase(),
      consumer: getAddress('0x' + log.topics[3]!.slice(26)),
      orderIds: jobOrders.map((o) => o.orderId),
      assetIds: jobOrders.map((o) => o.assetId),
      datasetContentHashes: jobOrders.map((o) => o.contentHash),
      algorithmImageDigest: a.algorithmImageDigest as string,
      algorithmCodeHash: a.algorithmCodeHash as string,
      algorithmHash: a.algorithmHash as string,
      outputsHash: a.outputsHash as string,
      resultCid: a.resultCid as string,
      status: Number(a.status),
      runtime: Number(a.runtime),
      startedAt: BigInt(a.startedAt),
      finishedAt: BigInt(a.finishedAt),
    });
  }
  return out;
}

/** A receipt struct from decoded calldata as a plain `JobReceipt`. */
export function toJobReceipt(r: Result): JobReceipt {
  return {
    jobId: (r.jobId as string).toLowerCase(),
    consumer: getAddress(r.consumer as string),
    orderIds: (r.orderIds as string[]).map((o) => o.toLowerCase()),
    assetIds: [...(r.assetIds as bigint[])],
    datasetContentHashes: [...(r.datasetContentHashes as string[])],
    algorithmImageDigest: r.algorithmImageDigest as string,
    algorithmCodeHash: r.algorithmCodeHash as string,
    algorithmHash: r.algorithmHash as string,
    outputsHash: r.outputsHash as string,
    resultCid: r.resultCid as string,
    status: Number(r.status),
    runtime: Number(r.runtime),
    startedAt: BigInt(r.startedAt),
    finishedAt: BigInt(r.finishedAt),
  };
}

/** Decodes a `recordJob` or `recordBatch` call; undefined when `data` is neither. */
export function decodeRecordCall(data: string): { receipts: JobReceipt[]; signature: string } | undefined {
  try {
    const parsed = receiptsIface.parseTransaction({ data });
    if (parsed?.name === 'recordJob') return { receipts: [toJobReceipt(parsed.args[0] as Result)], signature: parsed.args[1] as string };
    if (parsed?.name === 'recordBatch') return { receipts: (parsed.args[0] as Result[]).map(toJobReceipt), signature: parsed.args[1] as string };
    return undefined;
  } catch {
    return undefined;
  }
}

/** True when the batch record exists. */
export function batchExists(b: BatchRecord): boolean {
  return b.provider !== ZeroAddress;
}
