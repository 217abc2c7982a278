/**
 * Receipts v2 against a real anvil: the chain adapter's batching (by size, by age), a batch split around a bad
 * receipt, adoption of receipts posted before a crash, registration with the IPFS multiaddrs; and a provider whose
 * jobs' receipts go out together in one recordBatch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Interface, Wallet } from 'ethers';
import { computeReceiptsAbi, encodeKey, generateKeyPair, getDatatoken } from '@cove/sdk';
import { createChainAdapter, type ChainAdapter } from '../adapters/chain.js';
import { ReceiptRejectedError, type JobReceipt } from '../ports.js';
import { startProvider } from '../start.js';
import { newJobId } from '../usecases/startCompute.js';
import { createWorld, IMAGES, ONE, postJson, waitForJob, type World } from './world.js';

const receiptsIface = new Interface(computeReceiptsAbi);
const RECORD_JOB = receiptsIface.getFunction('recordJob')!.selector;
const RECORD_BATCH = receiptsIface.getFunction('recordBatch')!.selector;
const PEER = '12D3KooWGzHxVfQxjP6Y8mmhL4JQw5TtJbQ8rZ9QdD4Zf8F3m7Xq';

let w: World;
/** A provider key of these tests alone (the world's is used by the end-to-end test below). */
let key: Wallet;
const x25519PublicKey = encodeKey(generateKeyPair().publicKey);
let asset: { assetId: bigint; datatoken: string; contentHash: string };
const adapters: ChainAdapter[] = [];

before(async () => {
  w = await createWorld();
  key = new Wallet(Wallet.createRandom().privateKey);
  await (await w.publisher.sendTransaction({ to: key.address, value: 10n * ONE })).wait();
  const a = await w.publish({ provider: { address: key.address, url: 'http://127.0.0.1:1', x25519PublicKey }, content: 'x\n1\n', allowedImages: [await w.imageId(IMAGES.node)] });
  asset = { ...a, contentHash: '0x' + 'c0'.repeat(32) };
});
after(async () => {
  for (const a of adapters) a.close();
  await w?.close();
});

async function adapter(batch?: { size: number; maxAgeMs: number }, wallet: Wallet = key) {
  const a = await createChainAdapter({ rpcUrl: w.anvil.rpcUrl, wallet, contracts: { dataNft: w.cove.dataNFT, computeReceipts: w.cove.computeReceipts, providerRegistry: w.cove.providerRegistry }, ...(batch && { batch }) });
  adapters.push(a);
  return a;
}

/** A receipt of a fresh order of the test asset, as the worker would build it for a failed job. */
async function receipt(o: { provider?: string; algorithmHash?: string } = {}): Promise<JobReceipt> {
  const provider = o.provider ?? key.address;
  const { orderId } = await w.order({ datatoken: asset.datatoken, provider });
  const now = Number((await w.rpc.getBlock('latest'))!.timestamp);
  return {
    jobId: newJobId(provider),
    consumer: w.buyer.address,
    orderIds: [orderId],
    assetIds: [asset.assetId],
    datasetContentHashes: [asset.contentHash],
    algorithmImageDigest: '0x' + 'a1'.repeat(32),
    algorithmCodeHash: '0x' + 'b2'.repeat(32),
    algorithmHash: o.algorithmHash ?? '0x' + 'd3'.repeat(32),
    outputsHash: '0x' + '0'.repeat(64),
    resultCid: '',
    status: 'failed',
    runtime: 'none',
    startedAt: now,
    finishedAt: now,
  };
}

const selectorOf = async (txHash: string) => (await w.rpc.getTransaction(txHash))!.data.slice(0, 10);

describe('chain adapter: registration with the IPFS multiaddrs', () => {
  it('registers url, key and ipfsAddrs, sends nothing when unchanged, updates when the addresses change', async () => {
    const a = await adapter();
    const addrs = `/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`;
    assert.equal(await a.register({ url: 'http://127.0.0.1:1', x25519PublicKey, ipfsAddrs: addrs }), 'registered');
    assert.equal(await a.register({ url: 'http://127.0.0.1:1', x25519PublicKey, ipfsAddrs: addrs }), 'unchanged');
    const moved = `/ip4/127.0.0.1/tcp/4002/p2p/${PEER}`;
    assert.equal(await a.register({ url: 'http://127.0.0.1:1', x25519PublicKey, ipfsAddrs: moved }), 'updated');
    const got = (await w.c.providerRegistry.getFunction('getProvider')(key.address)) as { ipfsAddrs: string; x25519PublicKey: string };
    assert.equal(got.ipfsAddrs, moved);
    assert.equal(got.x25519PublicKey.toLowerCase(), x25519PublicKey.toLowerCase());
  });
});

describe('chain adapter: receipts v2', () => {
  it('posts a receipt alone with recordJob by default, its root being its leaf; the order is spent and names the job', async () => {
    const a = await adapter();
    const r = await receipt();
    const posted = await a.recordReceipt(r);
    assert.equal(await selectorOf(posted.txHash), RECORD_JOB);
    const onChain = await w.recordedJob(r.jobId);
    assert.deepEqual({ txHash: onChain.txHash, root: onChain.root, block: onChain.blockNumber, count: onChain.batch.count }, { txHash: posted.txHash, root: posted.root, block: posted.blockNumber, count: 1 });
    assert.equal(onChain.consumer, w.buyer.address);
    assert.deepEqual(await a.orderSpent({ datatoken: asset.datatoken, orderId: r.orderIds[0]! }), { jobId: r.jobId });
    const fresh = await w.order({ datatoken: asset.datatoken, provider: key.address });
    assert.equal(await a.orderSpent({ datatoken: asset.datatoken, orderId: fresh.orderId }), undefined);
  });

  it('batches by size: N receipts queued together go out in one recordBatch, each job resolving with its txHash', async () => {
    const a = await adapter({ size: 4, maxAgeMs: 600_000 });
    const rs = [await receipt(), await receipt(), await receipt(), await receipt()];
    const posted = await Promise.all(rs.map((r) => a.recordReceipt(r)));
    assert.equal(new Set(posted.map((p) => p.txHash)).size, 1, 'one transaction');
    assert.equal(await selectorOf(posted[0]!.txHash), RECORD_BATCH);
    for (const [i, r] of rs.entries()) {
      const onChain = await w.recordedJob(r.jobId);
      assert.equal(onChain.txHash, posted[i]!.txHash);
      assert.equal(onChain.root, posted[i]!.root);
      assert.equal(onChain.blockNumber, posted[i]!.blockNumber);
      assert.deepEqual(onChain.orderIds, r.orderIds);
      assert.equal(onChain.batch.count, 4);
      assert.equal(onChain.batch.provider, key.address);
    }
  });

  it('batches by age: a batch short of its size goes out once its oldest receipt has waited COVE_RECEIPT_BATCH_AGE_MS', async () => {
    const a = await adapter({ size: 50, maxAgeMs: 1500 });
    const rs = [await receipt(), await receipt()];
    const t0 = Date.now();
    const first = a.recordReceipt(rs[0]!);
    await new Promise((r) => setTimeout(r, 300));
    const second = a.recordReceipt(rs[1]!);
    assert.equal(a.queuedReceipts(), 2);
    const posted = await Promise.all([first, second]);
    assert.ok(Date.now() - t0 >= 1500, `posted after ${Date.now() - t0} ms`);
    assert.equal(posted[0]!.txHash, posted[1]!.txHash);
    assert.equal((await w.recordedJob(rs[1]!.jobId)).batch.count, 2);
  });

  it('splits a batch around a bad receipt: the others are recorded, only the bad job fails, with the reason', async () => {
    const a = await adapter({ size: 5, maxAgeMs: 600_000 });
    const spent = await receipt();
    await (await adapter()).recordReceipt(spent);
    // One bad receipt the revert names (its order already spent, under a new job id) and one it cannot (no algorithm hash).
    const reused = { ...(await receipt()), orderIds: spent.orderIds };
    const rs = [await receipt(), reused, await receipt(), await receipt({ algorithmHash: '0x' + '0'.repeat(64) }), await receipt()];
    const settled = await Promise.allSettled(rs.map((r) => a.recordReceipt(r)));
    for (const i of [0, 2, 4]) {
      assert.equal(settled[i]!.status, 'fulfilled', String((settled[i] as PromiseRejectedResult).reason));
      assert.equal((await w.recordedJob(rs[i]!.jobId)).txHash, (settled[i] as PromiseFulfilledResult<{ txHash: string }>).value.txHash);
    }
    const bad1 = settled[1] as PromiseRejectedResult;
    const bad2 = settled[3] as PromiseRejectedResult;
    assert.ok(bad1.reason instanceof ReceiptRejectedError && bad1.reason.contractError === 'ComputeReceiptsOrderAlreadyUsed', String(bad1.reason));
    assert.match(bad1.reason.message, new RegExp(`job ${reused.jobId}`));
    assert.ok(bad2.reason instanceof ReceiptRejectedError && bad2.reason.contractError === 'ComputeReceiptsInvalidAlgorithmHash', String(bad2.reason));
    await assert.rejects(w.recordedJob(reused.jobId), /0 JobRecorded/);
  });

  it('after a restart adopts a receipt it posted before (found by its JobRecorded event), batched or alone', async () => {
    const before = await adapter({ size: 2, maxAgeMs: 600_000 });
    const [r1, r2] = [await receipt(), await receipt()];
    const posted = await Promise.all([before.recordReceipt(r1), before.recordReceipt(r2)]);
    // A new process that never stored the outcome posts the same receipts again, one with a new one.
    const again = await adapter({ size: 2, maxAgeMs: 600_000 });
    const r3 = await receipt();
    const [a1, a3] = await Promise.all([again.recordReceipt(r1), again.recordReceipt(r3)]);
    assert.deepEqual(a1, posted[0], 'adopted: the transaction, root and block that recorded it');
    assert.equal((await w.recordedJob(r3.jobId)).txHash, a3.txHash);
    assert.notEqual(a3.txHash, posted[0]!.txHash);
    const alone = await adapter();
    assert.deepEqual(await alone.recordReceipt(r2), posted[1]);
  });

  it("never adopts another provider's receipt: a job id under another prefix is refused, not reported as ours", async () => {
    const other = new Wallet(Wallet.createRandom().privateKey);
    await (await w.publisher.sendTransaction({ to: other.address, value: 10n * ONE })).wait();
    const theirs = await adapter(undefined, other);
    await theirs.register({ url: 'http://127.0.0.1:2', x25519PublicKey, ipfsAddrs: '' });
    const r = await receipt({ provider: other.address });
    await theirs.recordReceipt(r);
    const ours = await adapter();
    await assert.rejects(ours.recordReceipt({ ...r, orderIds: [(await receipt()).orderIds[0]!] }), (err: unknown) => err instanceof ReceiptRejectedError && err.contractError === 'ComputeReceiptsJobIdNotSigners');
    await assert.rejects(ours.recordReceipt(r), ReceiptRejectedError);
  });
});

describe('provider: COVE_RECEIPT_BATCH_SIZE', () => {
  it("posts the receipts of two jobs in one recordBatch, each job's status naming that transaction and its on-chain JobRecorded", async () => {
    const p = await startProvider(w.providerConfig({ COVE_RECEIPT_BATCH_SIZE: '2', COVE_RECEIPT_BATCH_AGE_MS: '120000' }));
    try {
      await w.client.dial(p.ipfsAddresses[0]!);
      const nodeImage = await w.imageId(IMAGES.node);
      const a = await w.publish({ provider: { address: p.address, url: p.url, x25519PublicKey: p.x25519PublicKey }, content: 'x\n1\n2\n', allowedImages: [nodeImage] });
      const jobIds: string[] = [];
      for (const nonce of [1n, 2n]) {
        const o = await w.order({ datatoken: a.datatoken, provider: p.address });
        const { request, code } = w.computeRequest({ datasets: [{ assetId: a.assetId, txHash: o.txHash }], image: IMAGES.node, nonce });
        const r = await postJson(`${p.url}/v1/compute`, { request, signature: await w.signCompute(p.address, request), algorithmCode: code.toString('base64') });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        jobIds.push(r.body.jobId);
      }
      const statuses = await Promise.all(jobIds.map((id) => waitForJob(w, p.url, p.address, id)));
      assert.deepEqual(statuses.map((s) => [s.status, s.receipt.state]), [['succeeded', 'posted'], ['succeeded', 'posted']], JSON.stringify(statuses.map((s) => s.receipt)));
      assert.equal(statuses[0].receipt.txHash, statuses[1].receipt.txHash);
      assert.equal(await selectorOf(statuses[0].receipt.txHash), RECORD_BATCH);
      for (const s of statuses) {
        const onChain = await w.recordedJob(s.jobId);
        assert.equal(onChain.txHash, s.receipt.txHash);
        assert.equal(onChain.root, s.receipt.root);
        assert.equal(onChain.blockNumber, s.receipt.blockNumber);
        assert.equal(onChain.batch.count, 2);
        const info = (await getDatatoken(a.datatoken, w.rpc).getFunction('orderInfo')(onChain.orderIds[0]!)) as { spent: boolean };
        assert.equal(info.spent, true);
      }
    } finally {
      await p.close({ stopJobs: true });
    }
  });
});
