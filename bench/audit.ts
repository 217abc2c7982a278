import { JsonRpcProvider, Wallet, type Contract, type ContractTransactionResponse } from 'ethers';
import { auditAsset, computeOrderId, getComputeReceipts, getDatatoken, receiptDomain, signReceipt, verifyJob, ANVIL_DEFAULT_KEYS, type JobReceipt } from '@cove/sdk';
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
export async function prepareAuditBench(count: number) {
  const world = await createAuditWorld();
  try {
    return await fill(world, count);
  } catch (err) {
    await world.close();
    throw err;
  }
}

async function fill(world: AuditWorld, count: number) {
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
  const recordJob = (client.contracts.computeReceipts.connect(relayer) as Contract).getFunction('recordJob');
  const domain = receiptDomain(addresses.chainId, addresses.computeReceipts);
  const jobs: JobReceipt[] = await Promise.all(orderIds.map((orderId) => world.receiptFor([{ orderId, asset }])));
  const signatures = await Promise.all(jobs.map((job) => signReceipt(providerKey, domain, job)));
  const relayerNonce = await relayer.getNonce();
  const records: ContractTransactionResponse[] = await Promise.all(
    jobs.map((job, i) => recordJob(job, signatures[i], { nonce: relayerNonce + i, gasLimit: 1_000_000n, ...FEES })),
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
      const getReceipt = getComputeReceipts(world.addresses.computeReceipts, bare).getFunction('getReceipt');
      const sequentialMs = await medianMs(3, async () => {
        for (const job of jobs) await getReceipt(job.jobId);
      });
      bare.destroy();
      const verifyStart = performance.now();
      for (const job of jobs) {
        const verdict = await verifyJob(client, { jobId: job.jobId });
        if (!verdict.ok) throw new Error(`job ${job.jobId} failed verification`);
      }
      const verifyEachMs = performance.now() - verifyStart;

      const base: BenchRow = { suite: SUITE, name: `getReceipt × ${JOBS}, sequential`, value: sequentialMs, unit: 'ms', note: 'bare RPC reads, no checks' };
      return [
        against({ suite: SUITE, name: `auditAsset, ${JOBS} jobs`, value: auditMs, unit: 'ms', note: `all 7 checks per job + orders + lineage; target ≤ 3000 ms` }, base),
        base,
        against({ suite: SUITE, name: `verifyJob × ${JOBS}, one by one`, value: verifyEachMs, unit: 'ms', note: 'no shared cache, one run' }, base),
        { suite: SUITE, name: `setup: ${JOBS} orders + ${JOBS} receipts`, value: setupMs, unit: 'ms', note: 'pipelined transactions, anvil automine' },
      ];
    } finally {
      await world.close();
    }
  },
};
