import { createHash } from 'node:crypto';
import { ContractFactory, JsonRpcProvider, Wallet, keccak256, toUtf8Bytes, type ContractTransactionResponse } from 'ethers';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { create as createDigest } from 'multiformats/hashes/digest';
import {
  startAnvil,
  ANVIL_DEFAULT_KEYS,
  deployCove,
  connectCove,
  getDatatoken,
  mockErc20Abi,
  mockErc20Bytecode,
  receiptDomain,
  signReceiptBatch,
  jobProof,
  ASSET_KIND,
  PRICING,
  JOB_RUNTIME, JOB_STATUS,
  type JobReceipt,
  type JobProof,
} from '@cove/sdk';
import { against, type BenchRow, type BenchSuite } from './lib.js';

/**
 * Ocean Protocol's figures for the same operations, measured on anvil (see the architecture notes): a one-transaction
 * priced publish, one order, and a buyer's approve + buy + order. They are published constants, not re-measured here.
 */
const OCEAN = { publish: 1_460_000, startOrder: 79_600, approveBuyOrder: 265_000 };
/**
 * Receipts v1 (before the batched receipts of d0c6317: one receipt stored in full per job, lineage by job id), measured
 * with this suite at the commit before; published constants, not re-measured here.
 */
const V1 = { recordJob: 399_805, publishModel1: 371_719, publishModel16: 764_942 };
const ONE = 10n ** 18n;
/** Receipts v1 (867f9f3), measured then: every receipt field in 15 storage slots. */
const RECEIPTS_V1 = { recordJob: 399_805 };
const SUITE = 'contracts';

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (receipt?.status !== 1) throw new Error('transaction failed');
  return Number(receipt.gasUsed);
}

/** Whole-transaction gas (receipt.gasUsed on anvil) of Cove's main flows, against Ocean's published figures. */
export const contracts: BenchSuite = {
  name: SUITE,
  async run() {
    const anvil = await startAnvil();
    const rpc = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const publisher = new Wallet(ANVIL_DEFAULT_KEYS[0], rpc);
      const buyer = new Wallet(ANVIL_DEFAULT_KEYS[1], rpc);
      const provider = new Wallet(keccak256(toUtf8Bytes('bench provider')), rpc);
      await (await publisher.sendTransaction({ to: provider.address, value: ONE })).wait();
      const cove = await deployCove({ signer: publisher });
      const c = connectCove(cove, publisher);
      const base = await new ContractFactory(mockErc20Abi, mockErc20Bytecode, publisher).deploy('Base', 'BASE', 18);
      await base.waitForDeployment();
      await (await c.providerRegistry.connect(provider).getFunction('register')('http://127.0.0.1:1', keccak256('0x01'), '')).wait();

      const baseAddress = await base.getAddress();
      const publishParams = (name: string) => {
        const sha = createHash('sha256').update(`{"name":"${name}"}`).digest();
        return {
          kind: ASSET_KIND.dataset,
          cid: CID.createV1(raw.code, createDigest(0x12, sha)).toString(),
          metadataHash: `0x${sha.toString('hex')}`,
          name,
          symbol: 'DT',
          serviceTimeouts: [86_400],
          computeServices: 1,
          initialSupply: 1000n * ONE,
          paymentCollector: '0x0000000000000000000000000000000000000000',
          parents: [] as JobProof[],
          pricing: PRICING.fixedRate,
          fixedRate: { baseToken: baseAddress, rate: 2n * ONE, feeCollector: provider.address, feeBps: 100 },
          dispenser: { maxPerAddress: 0, maxTotal: 0 },
        };
      };
      const publish = c.assetFactory.getFunction('publish');
      const firstPublish = await gasOf(publish(publishParams('first asset')));
      const tx: ContractTransactionResponse = await publish(publishParams('second asset'));
      const published = (await tx.wait())!;
      const event = published.logs
        .map((log) => c.assetFactory.interface.parseLog(log))
        .find((parsed) => parsed?.name === 'AssetPublished')!;
      const { assetId, datatoken, pricingId } = event.args as unknown as { assetId: bigint; datatoken: string; pricingId: bigint };

      await (await base.connect(publisher).getFunction('mint')(buyer.address, 100n * ONE)).wait();
      const dt = getDatatoken(datatoken, buyer);
      const exchange = c.fixedRateExchange.connect(buyer);
      const flow = async () => {
        const approve = await gasOf(base.connect(buyer).getFunction('approve')(cove.fixedRateExchange, 9n * ONE));
        const buy = await gasOf(exchange.getFunction('buy')(pricingId, ONE, 3n * ONE));
        const order = await gasOf(dt.getFunction('startOrder')(buyer.address, 0, provider.address));
        return { approve, buy, order };
      };
      const first = await flow(); // creates the collector's and the buyer's balance slots
      const steady = await flow();

      // Receipts: orders all of one dataset (a provider serving many buyers of one dataset batches their jobs), one
      // for recordJob, 10 and 100 for the batches, 17 bought for the publisher (the model's parents).
      await (await base.connect(publisher).getFunction('mint')(buyer.address, 1000n * ONE)).wait();
      await gasOf(base.connect(buyer).getFunction('approve')(cove.fixedRateExchange, 1000n * ONE));
      await gasOf(exchange.getFunction('buy')(pricingId, 130n * ONE, 300n * ONE));
      const order = async (consumer: string): Promise<string> => {
        const id: string = await dt.getFunction('nextOrderId')(buyer.address);
        await gasOf(dt.getFunction('startOrder')(consumer, 0, provider.address));
        return id;
      };
      const orders = async (n: number, consumer: string) => {
        const ids: string[] = [];
        for (let i = 0; i < n; i++) ids.push(await order(consumer));
        return ids;
      };
      const single = await order(buyer.address);
      const orders10 = await orders(10, buyer.address);
      const orders100 = await orders(100, buyer.address);
      const parentOrders = await orders(17, publisher.address);
      const now = BigInt((await rpc.getBlock('latest'))!.timestamp);
      let jobs = 0;
      const receiptOf = (orderId: string, consumer: string): JobReceipt => ({
        jobId: provider.address.toLowerCase() + keccak256(toUtf8Bytes(`bench job ${jobs++}`)).slice(2, 26),
        consumer,
        orderIds: [orderId],
        assetIds: [assetId],
        datasetContentHashes: [keccak256('0x02')],
        algorithmImageDigest: keccak256('0x03'),
        algorithmCodeHash: keccak256('0x04'),
        algorithmHash: keccak256('0x06'),
        outputsHash: keccak256('0x05'),
        resultCid: event.args.cid as string,
        status: JOB_STATUS.succeeded,
        runtime: JOB_RUNTIME.runc,
        startedAt: now,
        finishedAt: now + 1n,
      });
      const domain = receiptDomain(cove.chainId, cove.computeReceipts);
      const receipts = c.computeReceipts;
      const record = async (rs: JobReceipt[]) => {
        const { signature } = await signReceiptBatch(provider, domain, rs);
        return rs.length === 1
          ? gasOf(receipts.getFunction('recordJob')(rs[0]!, signature))
          : gasOf(receipts.getFunction('recordBatch')(rs, signature));
      };
      const recordJob = await record([receiptOf(single, buyer.address)]);
      const batch10 = await record(orders10.map((o) => receiptOf(o, buyer.address)));
      const batch100 = await record(orders100.map((o) => receiptOf(o, buyer.address)));
      const parentOne = [receiptOf(parentOrders[0]!, publisher.address)];
      const parents16 = parentOrders.slice(1).map((o) => receiptOf(o, publisher.address));
      await record(parentOne);
      await record(parents16);
      const modelParams = (name: string, parents: JobProof[]) => ({ ...publishParams(name), kind: ASSET_KIND.model, parents });
      const publishModel1 = await gasOf(publish(modelParams('model 1', [jobProof(parentOne, 0)])));
      const publishModel16 = await gasOf(publish(modelParams('model 16', parents16.map((_, i) => jobProof(parents16, i)))));

      const row = (name: string, value: number, note?: string): BenchRow => ({ suite: SUITE, name, value, unit: 'gas', ...(note ? { note } : {}) });
      const oceanPublish = row('Ocean: priced publish (published)', OCEAN.publish);
      const oceanOrder = row('Ocean: startOrder (published)', OCEAN.startOrder);
      const oceanFlow = row('Ocean: approve + buy + order (published)', OCEAN.approveBuyOrder);
      const v1RecordJob = row('receipts v1: recordJob (published)', V1.recordJob);
      const v1Model1 = row('receipts v1: publishModel, 1 parent (published)', V1.publishModel1);
      const v1Model16 = row('receipts v1: publishModel, 16 parents (published)', V1.publishModel16);
      return [
        oceanPublish,
        against(row('publish with exchange offer', Number(published.gasUsed), "publisher's next asset"), oceanPublish),
        against(row('publish with exchange offer, first asset', firstPublish, 'fresh deployment, first NFT of the publisher'), oceanPublish),
        oceanOrder,
        against(row('startOrder', steady.order, 'steady state'), oceanOrder),
        against(row('startOrder, first of the asset', first.order, "creates the collector's balance"), oceanOrder),
        oceanFlow,
        against(row('approve + buy + order', steady.approve + steady.buy + steady.order, 'steady state, ERC-20 base'), oceanFlow),
        against(row('approve + buy + order, first time', first.approve + first.buy + first.order, 'new buyer, new asset'), oceanFlow),
        v1RecordJob,
        against(row('recordJob (one dataset)', recordJob, 'a batch of one; no Ocean equivalent'), v1RecordJob),
        against(row('recordBatch of 10, per job', Math.round(batch10 / 10), `orders of one dataset; ${batch10} for the batch`), v1RecordJob),
        against(row('recordBatch of 100, per job', Math.round(batch100 / 100), `orders of one dataset; ${batch100} for the batch`), v1RecordJob),
        v1Model1,
        against(row('publishModel, 1 parent', publishModel1, 'exchange offer; parent recorded alone'), v1Model1),
        v1Model16,
        against(row('publishModel, 16 parents', publishModel16, 'exchange offer; parents from one batch of 16'), v1Model16),
      ];
    } finally {
      rpc.destroy();
      await anvil.stop();
    }
  },
};
