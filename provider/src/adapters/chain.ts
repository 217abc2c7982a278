import { Interface, JsonRpcProvider, ZeroAddress, type Log, type Wallet } from 'ethers';
import { computeReceiptsAbi, datatokenAbi, decodeContractError, getComputeReceipts, getDataNft, getDatatoken, getProviderRegistry, JOB_RUNTIME, JOB_STATUS, MAX_RECEIPT_BATCH, receiptDomain, signReceiptBatch, type JobReceipt as ChainReceipt } from '@cove/sdk';
import { ReceiptRejectedError, type ChainPort, type JobReceipt, type OrderEvent, type RecordedReceipt } from '../ports.js';

export type ChainAdapterParameters = {
  rpcUrl: string;
  /** The provider's EVM key (not yet connected). */
  wallet: Wallet;
  contracts: { dataNft: string; computeReceipts: string; providerRegistry: string };
  /**
   * Receipts queue and go out as one `recordBatch` once `size` are queued or the oldest has waited `maxAgeMs`
   * (config `COVE_RECEIPT_BATCH_SIZE`, `COVE_RECEIPT_BATCH_AGE_MS`). Default size 1: one `recordJob` per job, at once.
   */
  batch?: { size: number; maxAgeMs: number };
  /** Log queries span at most this many blocks when the RPC refuses a whole-range query (default 10 000). */
  logWindow?: number;
  clock?: () => number;
};

const datatoken = new Interface(datatokenAbi);
const receiptsIface = new Interface(computeReceiptsAbi);
const ORDER_STARTED = datatoken.getEvent('OrderStarted')!.topicHash;
const ORDER_CONSUMED = receiptsIface.getEvent('OrderConsumed')!.topicHash;
const JOB_RECORDED = receiptsIface.getEvent('JobRecorded')!.topicHash;

/** The registry's longest IPFS multiaddr list, in bytes (`MAX_IPFS_ADDRS_LENGTH`). */
export const MAX_IPFS_ADDRS_BYTES = 1024;

/**
 * The `ipfsAddrs` a provider registers: its node's multiaddrs, each ending in `/p2p/<peerId>` (added when missing),
 * without duplicates, space-separated, as many as fit in {@link MAX_IPFS_ADDRS_BYTES} (the rest are left out).
 * @example
 * const ipfsAddrs = registryIpfsAddrs(node.multiaddrs(), node.peerId);
 */
export function registryIpfsAddrs(multiaddrs: string[], peerId: string): { value: string; omitted: string[] } {
  const chosen: string[] = [];
  const omitted: string[] = [];
  let bytes = 0;
  for (const raw of multiaddrs) {
    const a = /\/p2p\/[^/]+$/.test(raw) ? raw : `${raw.replace(/\/$/, '')}/p2p/${peerId}`;
    if (a.includes(' ') || chosen.includes(a)) continue;
    const add = Buffer.byteLength(a) + (chosen.length > 0 ? 1 : 0);
    if (bytes + add > MAX_IPFS_ADDRS_BYTES) {
      omitted.push(a);
      continue;
    }
    chosen.push(a);
    bytes += add;
  }
  return { value: chosen.join(' '), omitted };
}

type Pending = { receipt: JobReceipt; at: number; resolve: (r: RecordedReceipt) => void; reject: (err: unknown) => void };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** A revert (decoded Cove error, or a call exception without one), as opposed to an RPC or network failure. */
function isRevert(err: unknown): boolean {
  return decodeContractError(err) !== undefined || (err as { code?: unknown } | null)?.code === 'CALL_EXCEPTION';
}

function describeRevert(err: unknown): { name: string | undefined; text: string } {
  const d = decodeContractError(err)?.details as { error?: string; args?: unknown[] } | undefined;
  if (!d?.error) return { name: undefined, text: (err as Error)?.message?.split('\n')[0] ?? String(err) };
  return { name: d.error, text: `${d.error}(${(d.args ?? []).map(String).join(', ')})` };
}

/**
 * The chain through ethers v6: DataNFT reads, `OrderStarted` logs of a transaction, orders' spent flags,
 * receipts signed as EIP-712 batches (receipts v2) and posted to ComputeReceipts — alone or batched — and
 * registration in ProviderRegistry.
 * @example
 * const chain = await createChainAdapter({ rpcUrl, wallet, contracts, batch: { size: 16, maxAgeMs: 60_000 } });
 */
export async function createChainAdapter(params: ChainAdapterParameters) {
  const rpc = new JsonRpcProvider(params.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const clock = params.clock ?? Date.now;
  const batchSize = Math.min(Math.max(1, params.batch?.size ?? 1), MAX_RECEIPT_BATCH);
  const batchAgeMs = Math.max(0, params.batch?.maxAgeMs ?? 0);
  const logWindow = params.logWindow ?? 10_000;
  const creators = new Map<bigint, string>();
  const chainId = (await rpc.getNetwork()).chainId;
  const signer = params.wallet.connect(rpc);
  const me = signer.address.toLowerCase();
  const dataNft = getDataNft(params.contracts.dataNft, rpc);
  const receipts = getComputeReceipts(params.contracts.computeReceipts, signer);
  const registry = getProviderRegistry(params.contracts.providerRegistry, signer);
  const domain = receiptDomain(chainId, params.contracts.computeReceipts);
  let latest: Promise<bigint> | undefined;
  let deployment: Promise<number> | undefined;
  // One transaction at a time from the provider key: each picks its nonce after the last is mined.
  let sending: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = sending.then(fn, fn);
    sending = run.catch(() => {});
    return run;
  }

  /** ComputeReceipts' deployment block (where every log scan starts), read once. */
  function deploymentBlock(): Promise<number> {
    deployment ??= receipts.deploymentBlock().then(Number, (err: unknown) => {
      deployment = undefined;
      throw err;
    });
    return deployment;
  }

  /**
   * ComputeReceipts' logs matching `topics`, from its deployment block. When the RPC refuses the whole range, scans
   * windows of `logWindow` blocks from the newest down and stops at the first window with a match.
   */
  async function findLogs(topics: (string | null)[]): Promise<Log[]> {
    const [from, to] = await Promise.all([deploymentBlock(), rpc.getBlockNumber()]);
    const filter = { address: params.contracts.computeReceipts, topics };
    try {
      return await rpc.getLogs({ ...filter, fromBlock: from, toBlock: to });
    } catch {
      for (let hi = to; hi >= from; hi -= logWindow) {
        const logs = await rpc.getLogs({ ...filter, fromBlock: Math.max(from, hi - logWindow + 1), toBlock: hi });
        if (logs.length > 0) return logs;
      }
      return [];
    }
  }

  /**
   * A receipt of `jobId` already on-chain and ours: the id's top 20 bytes are this provider (so only its signature
   * could record it) and its batch's signer, as ComputeReceipts stores it, is this provider too. Undefined otherwise.
   */
  async function findRecorded(jobId: string): Promise<RecordedReceipt | undefined> {
    if (!jobId.toLowerCase().startsWith(me)) return undefined;
    for (const log of await findLogs([JOB_RECORDED, jobId.toLowerCase()])) {
      const root = log.topics[2]!;
      const batch = (await receipts.batchOf(root)) as { provider: string };
      if (same(batch.provider, me)) return { txHash: log.transactionHash, root, blockNumber: log.blockNumber };
    }
    return undefined;
  }

  const toChain = (r: JobReceipt): ChainReceipt => ({ ...r, status: JOB_STATUS[r.status], runtime: JOB_RUNTIME[r.runtime], startedAt: BigInt(r.startedAt), finishedAt: BigInt(r.finishedAt) });

  /** Signs and posts receipts as one batch (`recordJob` for one) and waits for it to be mined. */
  async function send(batch: JobReceipt[]): Promise<RecordedReceipt> {
    const chainReceipts = batch.map(toChain);
    const { root, signature } = await signReceiptBatch(signer, domain, chainReceipts);
    const tx = chainReceipts.length === 1 ? await receipts.recordJob(chainReceipts[0]!, signature) : await receipts.recordBatch(chainReceipts, signature);
    // wait() resolves null only when asked for zero confirmations.
    const mined = (await tx.wait())!;
    return { txHash: mined.hash, root, blockNumber: mined.blockNumber };
  }

  /** The entry a revert names (by a job or order id among its arguments), if any. */
  function culpritOf(err: unknown, entries: Pending[]): number | undefined {
    const args = ((decodeContractError(err)?.details as { args?: unknown[] } | undefined)?.args ?? []).filter((a): a is string => typeof a === 'string' && /^0x[0-9a-fA-F]{64}$/.test(a)).map((a) => a.toLowerCase());
    if (args.length === 0) return undefined;
    const i = entries.findIndex((e) => args.includes(e.receipt.jobId.toLowerCase()) || e.receipt.orderIds.some((o) => args.includes(o.toLowerCase())));
    return i >= 0 ? i : undefined;
  }

  /**
   * Posts a batch and settles each entry. An RPC failure fails them all (the worker retries). A revert of one
   * receipt is adopted when that receipt is already on-chain (posted before a crash), else it fails that job alone
   * with ReceiptRejectedError; a batch that reverts is split — the receipt the revert names apart from the rest,
   * or in halves — and each part is posted again, so one bad receipt never holds back the others.
   */
  async function post(entries: Pending[]): Promise<void> {
    try {
      const recorded = await send(entries.map((e) => e.receipt));
      for (const e of entries) e.resolve(recorded);
      return;
    } catch (err) {
      if (!isRevert(err)) {
        for (const e of entries) e.reject(err);
        return;
      }
      if (entries.length === 1) {
        const e = entries[0]!;
        const adopted = await findRecorded(e.receipt.jobId).catch(() => undefined);
        if (adopted) return e.resolve(adopted);
        const { name, text } = describeRevert(err);
        return e.reject(new ReceiptRejectedError(`ComputeReceipts refused the receipt of job ${e.receipt.jobId}: ${text}`, name, { cause: err }));
      }
      const i = culpritOf(err, entries);
      const parts = i !== undefined ? [[entries[i]!], entries.filter((_, j) => j !== i)] : [entries.slice(0, entries.length >> 1), entries.slice(entries.length >> 1)];
      for (const part of parts) await post(part);
    }
  }

  const queue: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  /** Sends every full batch, and what is queued once its oldest entry is old enough; re-arms the age timer. */
  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (closed) return;
    while (queue.length >= batchSize || (queue.length > 0 && clock() - queue[0]!.at >= batchAgeMs)) {
      const batch = queue.splice(0, batchSize);
      void serial(() => post(batch));
    }
    if (queue.length > 0) timer = setTimeout(flush, Math.max(1, queue[0]!.at + batchAgeMs - clock()));
  }

  const port: ChainPort = {
    chainId,

    async getAsset(assetId) {
      try {
        const [datatokenAddress, documentCid, metadataHash] = await Promise.all([dataNft.datatokenOf(assetId), dataNft.cidOf(assetId), dataNft.metadataHash(assetId)]);
        if (datatokenAddress === ZeroAddress) return undefined;
        return { datatoken: datatokenAddress as string, documentCid: documentCid as string, metadataHash: metadataHash as string };
      } catch (err) {
        if (decodeContractError(err)?.details?.error === 'DataNFTUnknownAsset') return undefined;
        throw err;
      }
    },

    async creatorOf(assetId) {
      // An asset's creator never changes (the minter, recorded on its first transfer), so a found one is kept.
      const known = creators.get(assetId);
      if (known !== undefined) return known;
      try {
        const creator = await dataNft.creatorOf(assetId);
        if (creator === ZeroAddress) return undefined;
        if (creators.size >= 10_000) creators.delete(creators.keys().next().value!);
        creators.set(assetId, creator);
        return creator;
      } catch (err) {
        if (decodeContractError(err)?.details?.error === 'DataNFTUnknownAsset') return undefined;
        throw err;
      }
    },

    async ownerOf(assetId) {
      try {
        return await dataNft.ownerOf(assetId);
      } catch (err) {
        const name = decodeContractError(err)?.details?.error;
        if (name === 'ERC721NonexistentToken' || name === 'DataNFTUnknownAsset') return undefined;
        throw err;
      }
    },

    async orderSpent({ datatoken: address, orderId }) {
      const info = await getDatatoken(address, rpc).orderInfo(orderId);
      if (!info.spent) return undefined;
      // Which job spent it is only in ComputeReceipts' OrderConsumed log (indexed by order id).
      const logs = await findLogs([ORDER_CONSUMED, orderId.toLowerCase()]).catch(() => []);
      return { jobId: logs[0]?.topics[2] };
    },

    async getOrderEvents(txHash) {
      const receipt = await rpc.getTransactionReceipt(txHash);
      if (!receipt || receipt.status !== 1) return undefined;
      const events: OrderEvent[] = [];
      for (const log of receipt.logs) {
        if (log.topics[0] !== ORDER_STARTED) continue;
        const e = datatoken.parseLog(log);
        if (!e) continue;
        events.push({
          emitter: log.address,
          orderId: e.args.orderId as string,
          assetId: e.args.assetId as bigint,
          consumer: e.args.consumer as string,
          payer: e.args.payer as string,
          serviceId: String(e.args.serviceId as bigint),
          provider: e.args.provider as string,
          validUntil: e.args.validUntil as bigint,
        });
      }
      return events;
    },

    latestTimestamp() {
      // Concurrent checks share one in-flight block read; a settled one is never reused,
      // so an expiry is judged against the chain as it is now.
      if (!latest) {
        latest = rpc.getBlock('latest').then((b) => BigInt(b!.timestamp));
        const clear = () => (latest = undefined);
        latest.then(clear, clear);
      }
      return latest;
    },

    recordReceipt(receipt) {
      if (closed) return Promise.reject(new Error('the chain adapter is closed; the receipt stays pending'));
      return new Promise<RecordedReceipt>((resolve, reject) => {
        queue.push({ receipt, at: clock(), resolve, reject });
        flush();
      });
    },
  };

  return {
    ...port,
    /** Receipts queued and not yet handed to a transaction. */
    queuedReceipts: () => queue.length,
    /**
     * Registers (or updates) this provider's URL, X25519 key and IPFS multiaddrs (`ipfsAddrs`, space-separated, see
     * {@link registryIpfsAddrs}) in ProviderRegistry; nothing is sent when all three are as registered.
     */
    register: (p: { url: string; x25519PublicKey: string; ipfsAddrs: string }): Promise<'registered' | 'updated' | 'unchanged'> => serial(async () => {
      const registered = await registry.isRegistered(signer.address);
      if (registered) {
        const current = (await registry.getProvider(signer.address)) as { url: string; x25519PublicKey: string; ipfsAddrs: string };
        if (current.url === p.url && same(current.x25519PublicKey, p.x25519PublicKey) && current.ipfsAddrs === p.ipfsAddrs) return 'unchanged';
        await (await registry.update(p.url, p.x25519PublicKey, p.ipfsAddrs)).wait();
        return 'updated';
      }
      await (await registry.register(p.url, p.x25519PublicKey, p.ipfsAddrs)).wait();
      return 'registered';
    }),
    /** The latest block number (the health check's probe of the RPC). */
    blockNumber: () => rpc.getBlockNumber(),
    /** Stops posting: queued receipts are dropped (they stay pending in the database and go out on the next start). */
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const e of queue.splice(0)) e.reject(new Error('the chain adapter closed; the receipt stays pending'));
      rpc.destroy();
    },
  };
}

export type ChainAdapter = Awaited<ReturnType<typeof createChainAdapter>>;
