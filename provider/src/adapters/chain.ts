import { Contract, Interface, JsonRpcProvider, ZeroAddress, ZeroHash, type Wallet } from 'ethers';
import { computeReceiptsAbi, dataNftAbi, datatokenAbi, decodeContractError, JOB_RUNTIME, JOB_STATUS, providerRegistryAbi, receiptDomain, signReceipt } from '@cove/sdk';
import type { ChainPort, OrderEvent } from '../ports.js';

export type ChainAdapterParameters = {
  rpcUrl: string;
  /** The provider's EVM key (not yet connected). */
  wallet: Wallet;
  contracts: { dataNft: string; computeReceipts: string; providerRegistry: string };
};

const datatoken = new Interface(datatokenAbi);
const ORDER_STARTED = datatoken.getEvent('OrderStarted')!.topicHash;

/**
 * The chain through ethers v6: DataNFT reads, `OrderStarted` logs of a transaction,
 * receipts signed with EIP-712 and posted to ComputeReceipts, registration in
 * ProviderRegistry.
 * @example
 * const chain = await createChainAdapter({ rpcUrl, wallet, contracts });
 */
export async function createChainAdapter(params: ChainAdapterParameters) {
  const rpc = new JsonRpcProvider(params.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const creators = new Map<bigint, string>();
  const chainId = (await rpc.getNetwork()).chainId;
  const signer = params.wallet.connect(rpc);
  const dataNft = new Contract(params.contracts.dataNft, dataNftAbi, rpc);
  const receipts = new Contract(params.contracts.computeReceipts, computeReceiptsAbi, signer);
  const registry = new Contract(params.contracts.providerRegistry, providerRegistryAbi, signer);
  const domain = receiptDomain(chainId, params.contracts.computeReceipts);
  let latest: Promise<bigint> | undefined;
  // One transaction at a time from the provider key: each picks its nonce after the last is mined.
  let sending: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = sending.then(fn, fn);
    sending = run.catch(() => {});
    return run;
  }

  const port: ChainPort = {
    chainId,

    async getAsset(assetId) {
      try {
        const [datatokenAddress, documentCid, metadataHash] = await Promise.all([dataNft.datatokenOf!(assetId), dataNft.cidOf!(assetId), dataNft.metadataHash!(assetId)]);
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
        const creator = (await dataNft.creatorOf!(assetId)) as string;
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
        return (await dataNft.ownerOf!(assetId)) as string;
      } catch (err) {
        const name = decodeContractError(err)?.details?.error;
        if (name === 'ERC721NonexistentToken' || name === 'DataNFTUnknownAsset') return undefined;
        throw err;
      }
    },

    async jobIdOfOrder(orderId) {
      const jobId = (await receipts.jobIdOf!(orderId)) as string;
      return jobId === ZeroHash ? undefined : jobId;
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

    recordReceipt: (r) => serial(async () => {
      const receipt = { ...r, status: JOB_STATUS[r.status], runtime: JOB_RUNTIME[r.runtime], startedAt: BigInt(r.startedAt), finishedAt: BigInt(r.finishedAt) };
      const signature = await signReceipt(signer, domain, receipt);
      try {
        const tx = await receipts.recordJob!(receipt, signature);
        const mined = await tx.wait();
        return { txHash: mined.hash as string };
      } catch (err) {
        // Posted before a crash but not recorded locally: find the transaction that did. Only a receipt this
        // provider signed is adopted; one signed by anyone else is never reported as ours.
        if (decodeContractError(err)?.details?.error === 'ComputeReceiptsJobExists') {
          const recorder = (await receipts.providerOf!(r.jobId)) as string;
          if (recorder.toLowerCase() === signer.address.toLowerCase()) {
            const logs = await receipts.queryFilter(receipts.filters.JobRecorded!(r.jobId, signer.address));
            if (logs[0]) return { txHash: logs[0].transactionHash };
          }
        }
        throw err;
      }
    }),
  };

  return {
    ...port,
    /** Registers (or updates) this provider's URL and X25519 key in ProviderRegistry when they differ. */
    register: (p: { url: string; x25519PublicKey: string }): Promise<void> => serial(async () => {
      const registered = (await registry.isRegistered!(signer.address)) as boolean;
      if (registered) {
        const current = (await registry.getProvider!(signer.address)) as { url: string; x25519PublicKey: string };
        if (current.url === p.url && current.x25519PublicKey.toLowerCase() === p.x25519PublicKey.toLowerCase()) return;
        await (await registry.update!(p.url, p.x25519PublicKey)).wait();
      } else {
        await (await registry.register!(p.url, p.x25519PublicKey)).wait();
      }
    }),
    /** The latest block number (the health check's probe of the RPC). */
    blockNumber: () => rpc.getBlockNumber(),
    close: () => rpc.destroy(),
  };
}

export type ChainAdapter = Awaited<ReturnType<typeof createChainAdapter>>;
