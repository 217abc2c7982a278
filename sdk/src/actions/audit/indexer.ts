import { Interface, getAddress, toBeHex, zeroPadValue, type Log, type Result, type TransactionResponse } from 'ethers';
import { loadDocument } from '../../asset/document.js';
import type { AssetDocument } from '../../asset/schema.js';
import type { CoveClientBase } from '../../client/base.js';
import {
  assetFactoryAbi,
  dataNftAbi,
  datatokenAbi,
  getDatatoken,
  providerRegistryAbi,
} from '../../contracts/index.js';
import { getLogsRange, memo, refOf } from './logs.js';
import { createReceiptLocator, type BatchRecord, type LocatedReceipt } from './receipt-locator.js';
import type { ChainRef } from './types.js';

const nftIface = new Interface(dataNftAbi);
const factoryIface = new Interface(assetFactoryAbi);
const tokenIface = new Interface(datatokenAbi);
const registryIface = new Interface(providerRegistryAbi);
const topic = (iface: Interface, name: string) => iface.getEvent(name)!.topicHash;
const TOPIC = {
  orderStarted: topic(tokenIface, 'OrderStarted'),
  assetPublished: topic(factoryIface, 'AssetPublished'),
  metadataUpdated: topic(nftIface, 'MetadataDocumentUpdated'),
  lineage: topic(nftIface, 'LineageRecorded'),
  registered: topic(registryIface, 'ProviderRegistered'),
  deregistered: topic(registryIface, 'ProviderDeregistered'),
};
const uintTopic = (v: bigint) => zeroPadValue(toBeHex(v), 32);
const addressTopic = (a: string) => zeroPadValue(a, 32);

/** A datatoken's `OrderStarted` event. */
export type OrderStartedEvent = ChainRef & {
  datatoken: string;
  orderId: string;
  assetId: bigint;
  consumer: string;
  payer: string;
  serviceId: bigint;
  provider: string;
  validUntil: bigint;
};
/** `Datatoken.orderInfo` (`validUntil == 0n`: no such order; `spent`: a receipt spent it). */
export type OrderInfo = { provider: string; validUntil: bigint; serviceId: bigint; spent: boolean };
/** One anchored version of an asset document (publish, then each `setMetadata`). */
export type DocumentVersion = ChainRef & { cid: string; hash: string; event: 'AssetPublished' | 'MetadataDocumentUpdated' };
export type DocumentHistory = { versions: DocumentVersion[]; current: { cid: string; hash: string } };
export type RegistryEvent = ChainRef & { registered: boolean };
export type RegistryState = { events: RegistryEvent[]; registeredNow: boolean };
/** A model's lineage: its `LineageRecorded` logs (one per parent, in order) grouped, located at the first. */
export type LineageEvent = ChainRef & { assetId: bigint; parentJobIds: string[]; roots: string[] };
export type StoredReceipt = LocatedReceipt;

/** Chain and storage reads of an audit, cached for its duration and pinned to one block. */
export type AuditIndexer = {
  readonly fromBlock: number;
  /** Every read is made at this block, so one audit sees one consistent state. */
  readonly toBlock: number;
  /** The job's receipt located in its batch (rebuilt from the batch's events), or undefined when none names it. */
  receipt(jobId: string): Promise<StoredReceipt | undefined>;
  /** The first `JobRecorded` log of a job. */
  recordLog(jobId: string): Promise<Log | undefined>;
  batch(root: string): Promise<BatchRecord>;
  /** A result computed once per key for the audit's duration (e.g. a batch's signature check, shared by its jobs). */
  shared<T>(key: string, load: () => Promise<T>): Promise<T>;
  transaction(hash: string): Promise<TransactionResponse | null>;
  /** Fetches the `JobRecorded` logs of many jobs in a few requests. */
  prefetchRecordLogs(jobIds: string[]): Promise<void>;
  registry(provider: string): Promise<RegistryState>;
  datatokenOf(assetId: bigint): Promise<string>;
  orderInfo(datatoken: string, orderId: string): Promise<OrderInfo>;
  orderStarted(datatoken: string, orderId: string): Promise<OrderStartedEvent | undefined>;
  /** Every `OrderStarted` of a datatoken. */
  ordersOf(datatoken: string): Promise<OrderStartedEvent[]>;
  /** The job ids whose receipts spent `orderId` (`OrderConsumed` logs; one once recorded). */
  consumersOf(orderId: string): Promise<string[]>;
  /** The job ids that spent each order of an asset, in one request (warms `consumersOf`). */
  consumedOnAsset(assetId: bigint): Promise<Map<string, string[]>>;
  documentHistory(assetId: bigint): Promise<DocumentHistory>;
  /** Loads a document from storage, checking its sha256 against `hash`. */
  document(cid: string, hash: string, signal?: AbortSignal): Promise<AssetDocument>;
  /** Every model with lineage: the collection's `LineageRecorded` logs (one per parent) grouped by model. */
  lineage(): Promise<LineageEvent[]>;
  /** A model's lineage (undefined for an asset without one). */
  lineageOf(assetId: bigint): Promise<LineageEvent | undefined>;
};

export type CreateAuditIndexerParameters = {
  /** First block searched for events. Default: the deployment's start block (else 0). */
  fromBlock?: number;
  /** Block every read is pinned to. Default: the latest block. */
  toBlock?: number;
  /** Largest block range of one `eth_getLogs` (public RPCs cap it). Default 100,000. */
  blockRange?: number;
  /** Longest wait for a document's next block from storage. Default 10 s. */
  documentTimeoutMs?: number;
};

/**
 * A cache of chain and storage reads shared by many verifications (auditAsset makes one;
 * pass your own to `verifyJob` when checking many jobs).
 *
 * @example
 * const indexer = await createAuditIndexer(client, { fromBlock: 0 });
 * const verdict = await verifyJob(client, { jobId, indexer });
 */
export async function createAuditIndexer(client: CoveClientBase, params: CreateAuditIndexerParameters = {}): Promise<AuditIndexer> {
  const { provider, addresses, contracts } = client;
  const toBlock = params.toBlock ?? (await provider.getBlockNumber());
  const fromBlock = params.fromBlock ?? addresses.deploymentBlock ?? 0;
  const range = { fromBlock, toBlock, blockRange: params.blockRange };
  const at = { blockTag: toBlock };

  const locator = createReceiptLocator(provider, addresses.computeReceipts, range);
  const sharedResults = new Map<string, Promise<unknown>>();
  const transactions = memo((hash) => provider.getTransaction(hash));
  const registries = memo(async (who): Promise<RegistryState> => {
    const [logs, now] = await Promise.all([
      getLogsRange(provider, { address: addresses.providerRegistry, topics: [[TOPIC.registered, TOPIC.deregistered], addressTopic(who)] }, range),
      contracts.providerRegistry.isRegistered(who, at),
    ]);
    return { events: logs.map((l) => ({ ...refOf(l), registered: l.topics[0] === TOPIC.registered })), registeredNow: now };
  });
  const datatokens = memo(async (assetId) => getAddress(await contracts.dataNFT.datatokenOf(BigInt(assetId), at)));
  const orderInfos = memo(async (key): Promise<OrderInfo> => {
    const [datatoken, orderId] = key.split(':') as [string, string];
    const info = await getDatatoken(datatoken, provider).orderInfo(orderId, at);
    return { provider: getAddress(info.provider), validUntil: info.validUntil, serviceId: info.serviceId, spent: info.spent };
  });
  const orderEvents = memo(async (key) => {
    const [datatoken, orderId] = key.split(':') as [string, string];
    const logs = await getLogsRange(provider, { address: datatoken, topics: [TOPIC.orderStarted, orderId] }, range);
    return logs.length === 0 ? undefined : parseOrderStarted(logs[0]!);
  });
  const ordersByToken = memo(async (datatoken) => {
    const logs = await getLogsRange(provider, { address: datatoken, topics: [TOPIC.orderStarted] }, range);
    const events = logs.map(parseOrderStarted);
    for (const e of events) orderEvents.set(`${datatoken}:${e.orderId}`, e);
    return events;
  });
  const histories = memo(async (assetId): Promise<DocumentHistory> => {
    const id = uintTopic(BigInt(assetId));
    const [published, updated, cid, hash] = await Promise.all([
      getLogsRange(provider, { address: addresses.assetFactory, topics: [TOPIC.assetPublished, id] }, range),
      getLogsRange(provider, { address: addresses.dataNFT, topics: [TOPIC.metadataUpdated, id] }, range),
      contracts.dataNFT.cidOf(BigInt(assetId), at),
      contracts.dataNFT.metadataHash(BigInt(assetId), at),
    ]);
    const versions: DocumentVersion[] = [
      ...published.map((l) => {
        const a = factoryIface.parseLog(l)!.args;
        return { ...refOf(l), cid: a.cid as string, hash: a.metadataHash as string, event: 'AssetPublished' as const };
      }),
      ...updated.map((l) => {
        const a = nftIface.parseLog(l)!.args;
        return { ...refOf(l), cid: a.cid as string, hash: a.metadataHash as string, event: 'MetadataDocumentUpdated' as const };
      }),
    ].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
    return { versions, current: { cid, hash } };
  });
  const documents = new Map<string, Promise<AssetDocument>>();
  const lineage = memo(async () => {
    const logs = await getLogsRange(provider, { address: addresses.dataNFT, topics: [TOPIC.lineage] }, range);
    // One `LineageRecorded(assetId, jobId)` per parent, in order: grouped back into one event per model, located
    // at its first log.
    const byAsset = new Map<bigint, LineageEvent>();
    for (const l of logs) {
      const a = nftIface.parseLog(l)!.args;
      const assetId = a.assetId as bigint;
      const seen = byAsset.get(assetId);
      if (seen) {
        seen.parentJobIds.push(a.jobId as string);
        seen.roots.push(a.root as string);
      } else byAsset.set(assetId, { ...refOf(l), assetId, parentJobIds: [a.jobId as string], roots: [a.root as string] });
    }
    return [...byAsset.values()];
  });

  return {
    fromBlock,
    toBlock,
    receipt: (jobId) => locator.locate(jobId),
    recordLog: async (jobId) => (await locator.recordLogs(jobId))[0],
    batch: (root) => locator.batch(root),
    shared<T>(key: string, load: () => Promise<T>): Promise<T> {
      let p = sharedResults.get(key) as Promise<T> | undefined;
      if (p === undefined) {
        p = load();
        sharedResults.set(key, p);
      }
      return p;
    },
    transaction: (hash) => transactions.get(hash),
    prefetchRecordLogs: (ids) => locator.prefetch(ids),
    registry: (who) => registries.get(getAddress(who)),
    datatokenOf: (assetId) => datatokens.get(assetId.toString()),
    orderInfo: (datatoken, orderId) => orderInfos.get(`${getAddress(datatoken)}:${orderId.toLowerCase()}`),
    orderStarted: (datatoken, orderId) => orderEvents.get(`${getAddress(datatoken)}:${orderId.toLowerCase()}`),
    ordersOf: (datatoken) => ordersByToken.get(getAddress(datatoken)),
    consumersOf: async (orderId) => (await locator.orderConsumed(orderId)).map((c) => c.jobId),
    consumedOnAsset: (assetId) => locator.consumedOnAsset(assetId),
    documentHistory: (assetId) => histories.get(assetId.toString()),
    document(cid, hash, signal) {
      const key = `${cid}|${hash.toLowerCase()}`;
      let p = documents.get(key);
      if (p === undefined) {
        p = loadDocument(client.storage, cid, { expectedHash: hash, timeoutMs: params.documentTimeoutMs ?? 10_000, signal }).then((r) => r.document);
        documents.set(key, p);
        // An aborted load says nothing about the document: let the next caller retry.
        p.catch(() => signal?.aborted && documents.delete(key));
      }
      return p;
    },
    lineage: () => lineage.get(''),
    lineageOf: async (assetId) => (await lineage.get('')).find((e) => e.assetId === assetId),
  };
}

const ORDER_STARTED = tokenIface.getEvent('OrderStarted')!;

function parseOrderStarted(log: Log): OrderStartedEvent {
  // A fixed fragment: `parseLog` would hash every event signature of the ABI to find it, per log.
  const a = tokenIface.decodeEventLog(ORDER_STARTED, log.data, log.topics);
  return {
    ...refOf(log),
    datatoken: getAddress(log.address),
    orderId: (a.orderId as string).toLowerCase(),
    assetId: a.assetId as bigint,
    consumer: getAddress(a.consumer as string),
    payer: getAddress(a.payer as string),
    serviceId: a.serviceId as bigint,
    provider: getAddress(a.provider as string),
    validUntil: a.validUntil as bigint,
  };
}
