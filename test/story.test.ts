/**
 * The whole Cove story on a real local stack (anvil, deployed contracts, a registered
 * provider with Helia, SQLite and Docker): a priced dataset under a compute policy, bought,
 * ordered, trained on without leaving the provider, the results decrypted and checked,
 * the model tokenized with its lineage, and everything verified by an auditor.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEther } from 'ethers';
import { AUDIT_CHECKS, getDatatoken, type CoveError, type GetResultsReturnType, type PublishAssetReturnType } from '@cove/sdk';
import { parseLogregModel, scoreCsv } from '../demo/score.js';
import { TEST_IMAGES } from './lib/images.js';
import { buyAndOrder, exportBreastCancer, imageIdOf, publishDataset, runTraining, startWorld, TRAIN_ALGORITHM, type World } from './lib/world.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('the Cove story: publish → buy → order → compute → results → model → audit', () => {
  let world: World;
  let csv: Buffer;
  let dataset: PublishAssetReturnType;
  let order: { orderId: string; txHash: string };
  let jobId: string;
  let jobRuntime: string | undefined;
  let resultsDir: string;
  let results: GetResultsReturnType;
  let modelId: bigint;

  before(async () => {
    world = await startWorld();
  });
  after(() => world?.close());

  it('publishes the breast-cancer dataset priced and under a policy naming the Python image and the training code, then the owner goes offline', async () => {
    const file = join(world.owner.home, 'breast-cancer.csv');
    await exportBreastCancer(file);
    csv = await readFile(file);
    assert.equal(csv.toString().trim().split('\n').length, 570); // header + 569 biopsies
    dataset = await publishDataset(world, { file, name: 'Wisconsin breast cancer (diagnostic)' });
    assert.equal(dataset.contentHash, `0x${sha256(csv)}`);

    const asset = await world.auditor.cove.getAsset({ assetId: dataset.assetId });
    assert.equal(asset.kind, 'dataset');
    assert.equal(asset.owner, world.owner.wallet.address);
    assert.deepEqual(asset.document.computePolicy?.allowedAlgorithms?.map((a) => a.hash), [world.trainAlgorithmHash]);
    assert.equal(asset.document.computePolicy?.allowAnyAlgorithm, undefined);
    const pricing = await world.auditor.cove.getPricing({ assetId: dataset.assetId });
    assert.equal(pricing.type, 'fixedRate');
    assert.equal(pricing.type === 'fixedRate' && pricing.rate, parseEther('0.01'));
    // The provider pinned the ciphertext and the document: nothing below needs the owner's node.
    await world.owner.stop();
  });

  it('checks an algorithm against the policy before any order is spent', async () => {
    const algorithm = { image: world.pythonImageId, file: TRAIN_ALGORITHM };
    const params = { assetIds: [dataset.assetId], provider: world.devnet.provider.url };
    assert.deepEqual(await world.buyer.cove.checkAlgorithm({ ...params, algorithm }), { spec: world.trainSpec, algorithmHash: world.trainAlgorithmHash, anyAlgorithm: [] });
    const refused = (e: CoveError) => e.code === 'ALGORITHM_NOT_ALLOWED' && e.details?.rule === 'algorithm';
    const nodeImage = await imageIdOf(TEST_IMAGES.node);
    await assert.rejects(world.buyer.cove.checkAlgorithm({ ...params, algorithm: { ...algorithm, image: nodeImage } }), refused);
    await assert.rejects(world.buyer.cove.checkAlgorithm({ ...params, algorithm: { image: world.pythonImageId, code: Buffer.from('print(1)\n'), fileName: 'other.py' } }), refused);
    // The approved code with the buyer's own command is another algorithm.
    await assert.rejects(world.buyer.cove.checkAlgorithm({ ...params, algorithm: { ...algorithm, command: ['python3', '-c', 'print(1)'] } }), refused);
  });

  it('sells one datatoken for 0.01 ETH and spends it on an order naming the provider', async () => {
    const datatoken = getDatatoken(dataset.datatoken, world.devnet.rpc);
    order = await buyAndOrder(world, dataset.assetId);
    assert.match(order.orderId, /^0x[0-9a-f]{64}$/);
    assert.equal(await datatoken.getFunction('balanceOf')(world.buyer.wallet.address), 0n);
    const info = await datatoken.getFunction('orderInfo')(order.orderId);
    assert.equal(info.provider, world.devnet.provider.address);
  });

  it('trains the model beside the data and records a signed receipt on-chain', async () => {
    const job = await runTraining(world, { assetId: dataset.assetId, orderTxHash: order.txHash });
    assert.equal(job.status, 'succeeded', job.reason ?? '');
    jobId = job.jobId;
    jobRuntime = job.runtime;
    const receipt = (await world.auditor.cove.getReceipt({ jobId }))!;
    assert.deepEqual([...receipt.orderIds], [order.orderId]);
    assert.deepEqual([...receipt.assetIds], [dataset.assetId]);
    assert.deepEqual([...receipt.datasetContentHashes], [dataset.contentHash]);
    assert.equal(receipt.algorithmCodeHash, world.trainCodeHash);
    assert.equal(receipt.algorithmHash, world.trainAlgorithmHash);
    assert.equal(`sha256:${receipt.algorithmImageDigest.slice(2)}`, world.pythonImageId);
  });

  it('delivers the results decrypted, every file matching its manifest hash and the receipt', async () => {
    resultsDir = join(world.buyer.home, 'results');
    results = await world.buyer.cove.getResults({ provider: world.devnet.provider.url, jobId, out: resultsDir, peers: world.devnet.provider.ipfsAddresses });
    assert.deepEqual((await readdir(resultsDir)).sort(), ['metrics.json', 'model.json']);
    assert.deepEqual(results.files.map((f) => f.path).sort(), ['metrics.json', 'model.json']);
    for (const f of results.files) {
      const bytes = await readFile(join(resultsDir, f.path));
      assert.equal(bytes.byteLength, f.size, f.path);
      assert.equal(sha256(bytes), f.sha256.replace(/^0x/, ''), f.path);
    }
    const receipt = (await world.auditor.cove.getReceipt({ jobId }))!;
    assert.equal(results.outputsHash, receipt.outputsHash);
    assert.equal(results.resultCid, receipt.resultCid);
    const metrics = JSON.parse(await readFile(join(resultsDir, 'metrics.json'), 'utf8')) as { rows: number; features: number; accuracy: number };
    assert.equal(metrics.rows, 569);
    assert.equal(metrics.features, 30);
    assert.ok(metrics.accuracy > 0.9, `accuracy ${metrics.accuracy}`);
    // The dataset itself did not come back: no result file holds a row of it.
    const row = csv.toString().split('\n')[1]!;
    for (const f of results.files) assert.ok(!(await readFile(join(resultsDir, f.path))).includes(row), f.path);
  });

  it('returns the model as JSON weights that, scored without unpickling anything, reproduce the reported metrics', async () => {
    const model = parseLogregModel(await readFile(join(resultsDir, 'model.json'), 'utf8'));
    assert.equal(model.features.length, 30);
    assert.equal(model.features[0], csv.toString().split(',')[0]);
    assert.deepEqual(model.classes, [0, 1]);
    assert.equal(model.scaler?.mean.length, 30);
    const metrics = JSON.parse(await readFile(join(resultsDir, 'metrics.json'), 'utf8')) as { accuracy: number; roc_auc: number; brier: number; heldout_rows: number[] };
    assert.equal(metrics.heldout_rows.length, 143); // test_size 0.25 of 569
    const s = scoreCsv({ model, csv: csv.toString(), rows: metrics.heldout_rows });
    assert.ok(Math.abs(s.accuracy - metrics.accuracy) <= 5e-5, `accuracy ${s.accuracy} vs ${metrics.accuracy}`);
    assert.ok(Math.abs(s.rocAuc - metrics.roc_auc) <= 5e-5, `ROC AUC ${s.rocAuc} vs ${metrics.roc_auc}`);
    assert.ok(Math.abs(s.brier - metrics.brier) <= 1e-12, `Brier ${s.brier} vs ${metrics.brier}`);
  });

  it('publishes the model as a derived asset whose lineage on-chain is the job', async () => {
    const model = await world.buyer.cove.publishModel({
      dir: resultsDir,
      parentJobIds: [jobId],
      name: 'Breast-cancer classifier',
      description: `Trained by job ${jobId}.`,
      provider: { url: world.devnet.provider.url },
      services: [{ type: 'access', timeoutSeconds: 86_400 }],
    });
    modelId = model.assetId;
    const asset = await world.auditor.cove.getAsset({ assetId: modelId });
    assert.equal(asset.kind, 'model');
    assert.equal(asset.owner, world.buyer.wallet.address);
    assert.deepEqual(asset.parentJobIds.map((j) => j.toLowerCase()), [jobId.toLowerCase()]);
    assert.equal(asset.document.lineage?.parents?.[0]?.outputsHash, (await world.auditor.cove.verifyJob({ jobId })).receipt?.outputsHash.toLowerCase());
  });

  it('verifyModel traces the model back to its job and dataset, and its files to the job outputs', async () => {
    const verdict = await world.auditor.cove.verifyModel({ assetId: modelId, files: resultsDir });
    for (const c of verdict.checks) assert.ok(c.ok, `${c.name}: ${c.code} ${c.reason}`);
    assert.equal(verdict.ok, true);
    assert.deepEqual(verdict.jobs.map((j) => j.jobId), [jobId.toLowerCase()]);
    assert.equal(verdict.datasets.length, 1);
  });

  it('verifyJob passes every check, outputs included, from the chain and the result files alone', async () => {
    const verdict = await world.auditor.cove.verifyJob({ jobId, resultFiles: resultsDir, algorithm: world.trainSpec });
    assert.deepEqual(verdict.checks.map((c) => c.name), [...AUDIT_CHECKS]);
    assert.equal(verdict.anyAlgorithm, false);
    for (const c of verdict.checks) assert.ok(c.ok, `${c.name}: ${c.code} ${c.reason}`);
    assert.deepEqual(verdict.skipped, []);
    assert.equal(verdict.ok, true);
    assert.equal(verdict.status, 'succeeded');
    assert.ok(jobRuntime === 'runc' || jobRuntime === 'runsc', `the job says which runtime ran it: ${jobRuntime}`);
    assert.equal(verdict.runtime, jobRuntime, 'the signed receipt names the runtime the provider reported for the job');
    assert.equal(verdict.provider, world.devnet.provider.address);
  });

  it('auditAsset lists the order, the verified job and the derived model', async () => {
    const audit = await world.auditor.cove.auditAsset({ assetId: dataset.assetId });
    assert.equal(audit.ok, true);
    assert.equal(audit.orders.length, 1);
    assert.equal(audit.orders[0]!.orderId, order.orderId);
    assert.equal(audit.orders[0]!.consumer, world.buyer.wallet.address);
    assert.equal(audit.orders[0]!.jobId?.toLowerCase(), jobId.toLowerCase());
    assert.equal(audit.jobs.length, 1);
    assert.equal(audit.jobs[0]!.jobId.toLowerCase(), jobId.toLowerCase());
    assert.equal(audit.jobs[0]!.ok, true);
    assert.deepEqual(audit.derivedModels.map((m) => [m.assetId, m.fromJobs.map((j) => j.toLowerCase())]), [[modelId, [jobId.toLowerCase()]]]);
  });
});
