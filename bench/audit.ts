import { JsonRpcProvider, Wallet, type Contract, type ContractTransactionResponse } from 'ethers';
import { auditAsset, computeOrderId, getComputeReceipts, getDatatoken, receiptDomain, signReceiptBatch, verifyJob, ANVIL_DEFAULT_KEYS, type JobReceipt } from '@cove/sdk';
import { createAuditWorld, type AuditWorld } from '../sdk/src/actions/audit/testing/world.js';
import { against, medianMs, type BenchRow, type BenchSuite } from './lib.js';

const SUITE = 'audit';
const JOBS = 200;
const ONE = 10n ** 18n;
/** Explicit fees and gas: each transaction is then one RPC call, sent without waiting for the previous one. */
const FEES = { maxFeePerGas: 20_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };

/**
 * A devnet with one asset and `count` recorded jobs. Orders and receipts are sent all at once with explicit
 * nonces, fees and gas (one RPC call each, batched by the provider); anvil mines each on arrival.
 */
export async function prepareAuditBench(count: number, batchSize = 1) {
  const world = await createAuditWorld();
  try {
    return await fill(world, count, batchSize);
  } catch (err) {
    await world.close();
    throw err;
  }
}

async function fill(world: AuditWorld, count: number, batchSize: number) {
  const setupStart = performance.now();
  const asset = await world.publish({ document: (await world.datasetDocument()).document, initialSupply: BigInt(count + 10) * ONE });
  const { client, publisher, providerKey, addresses } = world;
  const dt = getDatatoken(asset.datatoken, publisher);
  const firstNonce = (await dt.getFunction('orderNonce')(publisher.address)) as bigint;
  const orderIds = Array.from({ length: count }, (_, i) => computeOrderId({ chainId: addresses.chainId, datatoken: asset.datatoken, payer: publisher.address, nonce: firstNonce + BigInt(i) }));
  const payerNonce = await publisher.getNonce();
  const startOrder = dt.getFunction('startOrder');
  const orders: ContractTransactionResponse[] = await Promise.all(
    orderIds.map((_, i) => startOrder(world.consumer.address, 0, providerKey.address, { nonce: payerNonce + i, gasLimit: 200_000n, ...FEES })),
  );
  await mined(world, orders);

  const relayer = new Wallet(ANVIL_DEFAULT_KEYS[4], world.rpc);
  const receipts = client.contracts.computeReceipts.connect(relayer);
  const domain = receiptDomain(addresses.chainId, addresses.computeReceipts);
  const jobs: JobReceipt[] = await Promise.all(orderIds.map((orderId) => world.receiptFor([{ orderId, asset }])));
  const batches: JobReceipt[][] = [];
  for (let i = 0; i < jobs.length; i += batchSize) batches.push(jobs.slice(i, i + batchSize));
  const signatures = await Promise.all(batches.map(async (batch) => (await signReceiptBatch(providerKey, domain, batch)).signature));
  const relayerNonce = await relayer.getNonce();
  const records: ContractTransactionResponse[] = await Promise.all(
    batches.map((batch, i) =>
      batch.length === 1
        ? receipts.recordJob(batch[0]!, signatures[i]!, { nonce: relayerNonce + i, gasLimit: 1_000_000n, ...FEES })
        : receipts.recordBatch(batch, signatures[i]!, { nonce: relayerNonce + i, gasLimit: 30_000_000n, ...FEES }),
    ),
  );
  await mined(world, records);
  return { world, asset, jobs, setupMs: performance.now() - setupStart };
}

/**
 * Waits until every transaction is mined and succeeded. Anvil's automine packs what arrives together into one block
 * up to the block gas limit (counted by gas limits) and leaves the rest pending until the next transaction, so the
 * pool is drained with `evm_mine`; receipts are then read at once instead of polled one by one.
 */
async function mined(world: AuditWorld, txs: ContractTransactionResponse[]): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const { pending, queued } = (await world.rpc.send('txpool_status', [])) as { pending: string; queued: string };
    if (BigInt(pending) === 0n && BigInt(queued) === 0n) break;
    await world.rpc.send('evm_mine', []);
  }
  const receipts = await Promise.all(txs.map((t) => world.rpc.getTransactionReceipt(t.hash)));
  const failed = receipts.filter((r) => r?.status !== 1).length;
  if (failed > 0) throw new Error(`${failed} of ${txs.length} transactions not mined or failed`);
}

/**
 * `auditAsset` over an asset with 200 jobs on a local anvil (target ≤ 3 s), against the bare RPC time to read
 * the 200 receipts one by one (`getReceipt`) and against 200 independent `verifyJob` calls, in the same run.
 */
export const audit: BenchSuite = {
  name: SUITE,
  async run() {
    const { world, asset, jobs, setupMs } = await prepareAuditBench(JOBS);
    const { client } = world;
    try {
      // Warm-up (JIT, connection), then the measured runs; each auditAsset builds its own cache.
      const check = await auditAsset(client, { assetId: asset.assetId });
      if (check.jobs.length !== JOBS || !check.ok) throw new Error(`audit saw ${check.jobs.length} jobs, ok=${check.ok}`);
      const auditMs = await medianMs(3, () => auditAsset(client, { assetId: asset.assetId }));
      // The baseline reads without the provider's batching delay (10 ms per request when requests are sequential).
      const bare = new JsonRpcProvider(world.anvil.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
      const receiptsContract = getComputeReceipts(world.addresses.computeReceipts, bare);
      const jobRecorded = receiptsContract.filters.JobRecorded!;
      const sequentialMs = await medianMs(3, async () => {
        for (const job of jobs) await receiptsContract.queryFilter(jobRecorded(job.jobId), 0);
      });
      bare.destroy();
      const verifyStart = performance.now();
      for (const job of jobs) {
        const verdict = await verifyJob(client, { jobId: job.jobId });
        if (!verdict.ok) throw new Error(`job ${job.jobId} failed verification`);
      }
      const verifyEachMs = performance.now() - verifyStart;

      // The same jobs recorded in batches of 100 (two recordBatch transactions).
      const batched = await prepareAuditBench(JOBS, 100);
      let batchedMs: number;
      try {
        const first = await auditAsset(batched.world.client, { assetId: batched.asset.assetId });
        if (first.jobs.length !== JOBS || !first.ok) throw new Error(`batched audit saw ${first.jobs.length} jobs, ok=${first.ok}`);
        batchedMs = await medianMs(3, () => auditAsset(batched.world.client, { assetId: batched.asset.assetId }));
      } finally {
        await batched.world.close();
      }

      const base: BenchRow = { suite: SUITE, name: `JobRecorded log × ${JOBS}, sequential`, value: sequentialMs, unit: 'ms', note: 'bare RPC reads of each job\'s event, no checks' };
      return [
        against({ suite: SUITE, name: `auditAsset, ${JOBS} jobs`, value: auditMs, unit: 'ms', note: `all 7 checks per job + orders + lineage; target ≤ 3000 ms` }, base),
        against({ suite: SUITE, name: `auditAsset, ${JOBS} jobs in batches of 100`, value: batchedMs, unit: 'ms', note: 'receipts rebuilt from 2 batches\' events' }, base),
        base,
        against({ suite: SUITE, name: `verifyJob × ${JOBS}, one by one`, value: verifyEachMs, unit: 'ms', note: 'no shared cache, one run' }, base),
        { suite: SUITE, name: `setup: ${JOBS} orders + ${JOBS} receipts`, value: setupMs, unit: 'ms', note: 'pipelined transactions, anvil automine' },
      ];
    } finally {
      await world.close();
    }
  },
};
