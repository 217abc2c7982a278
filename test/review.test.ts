/**
 * Owner review before release on a real stack: a dataset whose output policy says
 * `review: true` holds every job's outputs at the provider (`awaiting_release`, no receipt,
 * nothing for the buyer) until its owner inspects and releases them (the buyer then gets
 * exactly the reviewed bytes) or rejects them (`rejected_by_owner` on-chain, nothing for
 * the buyer). Only the asset's current owner may list, inspect, release or reject.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEther } from 'ethers';
import { AUDIT_CHECKS, JOB_STATUS, ORDER_AMOUNT, isCoveError, type PublishAssetReturnType } from '@cove/sdk';
import { createCliUser } from './lib/cli.js';
import { buyAndOrder, startWorld, trainingPolicy, TRAIN_ALGORITHM, writeSampleCsv, type World } from './lib/world.js';

const sha256 = (bytes: Uint8Array) => '0x' + createHash('sha256').update(bytes).digest('hex');
const code = (c: string) => (err: unknown) => isCoveError(err, c);

describe('owner review before release: held, inspected, released or rejected', () => {
  let world: World;
  let dataset: PublishAssetReturnType;
  let provider: string;
  let released: string;
  let inspectDir: string;

  /** The buyer orders and starts a training job, and waits until it is held for review. */
  async function heldJob(): Promise<string> {
    const order = await buyAndOrder(world, dataset.assetId);
    const { jobId } = await world.buyer.cove.startCompute({ provider, datasets: [{ assetId: dataset.assetId, orderTxHash: order.txHash }], algorithm: { image: world.pythonImageId, file: TRAIN_ALGORITHM } });
    const job = await world.buyer.cove.waitForJob({ provider, jobId, untilReleased: false, timeoutMs: 120_000, pollMs: 200 });
    assert.equal(job.status, 'awaiting_release', job.reason ?? '');
    return jobId;
  }

  before(async () => {
    world = await startWorld();
    provider = world.devnet.provider.url;
    const file = join(world.owner.home, 'reviewed.csv');
    await writeSampleCsv({ path: file, rows: 200 });
    const policy = trainingPolicy(world);
    dataset = await world.owner.cove.publishAsset({
      file,
      contentType: 'text/csv',
      name: 'Reviewed sample',
      description: 'End-to-end test dataset whose owner reviews outputs before release.',
      tags: ['test'],
      license: 'CC0-1.0',
      provider: { url: provider },
      computePolicy: { ...policy, outputPolicy: { ...policy.outputPolicy, review: true } },
      pricing: { type: 'fixed', baseToken: '0x0000000000000000000000000000000000000000', rate: parseEther('0.01') },
      initialSupply: 20n * ORDER_AMOUNT,
    });
  });
  after(() => world?.close());

  it('holds a finished job: awaiting_release, no receipt, and the buyer gets no result', async () => {
    released = await heldJob();
    const job = await world.buyer.cove.getJob({ provider, jobId: released });
    assert.equal(job.resultCid, null);
    assert.equal(job.receipt.state, 'none');
    assert.equal(await world.auditor.cove.getReceipt({ jobId: released }), undefined);
    await assert.rejects(world.buyer.cove.getResults({ provider, jobId: released, out: join(world.buyer.home, 'too-early') }), code('JOB_NOT_FINISHED'));
  });

  it('refuses a stranger to list, inspect or release (NOT_ASSET_OWNER)', async () => {
    const ref = { provider, assetId: dataset.assetId };
    await assert.rejects(world.buyer.cove.listPendingReleases(ref), code('NOT_ASSET_OWNER'));
    await assert.rejects(world.buyer.cove.inspectOutputs({ ...ref, jobId: released, out: join(world.buyer.home, 'peek') }), code('NOT_ASSET_OWNER'));
    await assert.rejects(world.buyer.cove.releaseOutputs({ ...ref, jobId: released }), code('NOT_ASSET_OWNER'));
    await assert.rejects(world.buyer.cove.rejectOutputs({ ...ref, jobId: released }), code('NOT_ASSET_OWNER'));
  });

  it('lets the owner list the held job and inspect its outputs, decrypted and matching the manifest', async () => {
    const { jobs } = await world.owner.cove.listPendingReleases({ provider, assetId: dataset.assetId });
    assert.deepEqual(jobs.map((j) => j.jobId), [released]);
    assert.equal(jobs[0]!.consumer, world.buyer.wallet.address.toLowerCase());
    inspectDir = join(world.owner.home, 'inspect');
    const seen = await world.owner.cove.inspectOutputs({ provider, assetId: dataset.assetId, jobId: released, out: inspectDir, peers: world.devnet.provider.ipfsAddresses });
    assert.deepEqual((await readdir(inspectDir)).sort(), ['metrics.json', 'model.json']);
    for (const f of seen.manifest.files) {
      const bytes = await readFile(join(inspectDir, f.path));
      assert.equal(bytes.byteLength, f.size, f.path);
      assert.equal(sha256(bytes), '0x' + f.sha256.replace(/^0x/, ''), f.path);
    }
    assert.equal((await world.buyer.cove.getJob({ provider, jobId: released })).status, 'awaiting_release', 'inspecting releases nothing');
  });

  it('releases: the buyer gets exactly the reviewed bytes and verifyJob passes every check', async () => {
    const r = await world.owner.cove.releaseOutputs({ provider, assetId: dataset.assetId, jobId: released });
    assert.deepEqual(r, { jobId: released, status: 'succeeded', pending: [] });
    const job = await world.buyer.cove.waitForJob({ provider, jobId: released, waitForReceipt: true, timeoutMs: 60_000, pollMs: 200 });
    assert.equal(job.status, 'succeeded');
    assert.equal(job.receipt.state, 'posted');
    const out = join(world.buyer.home, 'released');
    const results = await world.buyer.cove.getResults({ provider, jobId: released, out, peers: world.devnet.provider.ipfsAddresses });
    for (const f of results.files) assert.deepEqual(await readFile(join(out, f.path)), await readFile(join(inspectDir, f.path)), f.path);
    const verdict = await world.auditor.cove.verifyJob({ jobId: released, resultFiles: out, algorithm: world.trainSpec });
    assert.deepEqual(verdict.checks.map((c) => [c.name, c.ok, c.code]), AUDIT_CHECKS.map((n) => [n, true, undefined]));
    await assert.rejects(world.owner.cove.releaseOutputs({ provider, assetId: dataset.assetId, jobId: released }), code('JOB_NOT_AWAITING_RELEASE'));
  });

  it('rejects: rejected_by_owner on-chain, nothing for the buyer, verifyJob passes all but outputsHash', async () => {
    const jobId = await heldJob();
    assert.deepEqual(await world.owner.cove.rejectOutputs({ provider, assetId: dataset.assetId, jobId }), { jobId, status: 'rejected_by_owner' });
    const job = await world.buyer.cove.waitForJob({ provider, jobId, waitForReceipt: true, timeoutMs: 60_000, pollMs: 200 });
    assert.equal(job.status, 'rejected_by_owner');
    assert.equal(job.resultCid, null);
    const receipt = (await world.auditor.cove.getReceipt({ jobId }))!;
    assert.equal(Number(receipt.status), JOB_STATUS.rejected_by_owner);
    assert.equal(receipt.outputsHash, '0x' + '00'.repeat(32));
    assert.equal(receipt.resultCid, '');
    await assert.rejects(world.buyer.cove.getResults({ provider, jobId, out: join(world.buyer.home, 'rejected') }), code('JOB_FAILED'));
    assert.deepEqual((await world.owner.cove.listPendingReleases({ provider, assetId: dataset.assetId })).jobs, []);
    const verdict = await world.auditor.cove.verifyJob({ jobId, resultFiles: inspectDir, algorithm: world.trainSpec });
    assert.equal(verdict.status, 'rejected_by_owner');
    for (const c of verdict.checks) {
      if (c.name === 'outputsHash') assert.deepEqual([c.ok, c.code], [false, 'JOB_NOT_SUCCEEDED']);
      else assert.ok(c.ok, `${c.name}: ${c.code} ${c.reason}`);
    }
  });

  it('follows the NFT: its new holder reviews with `cove review`, the publisher no longer can', async () => {
    const jobId = await heldJob();
    const holder = await createCliUser(world.devnet, { dir: world.dir, name: 'new-holder' });
    const nft = world.owner.cove.contracts.dataNFT;
    await (await nft.getFunction('transferFrom')(world.owner.wallet.address, holder.address, dataset.assetId)).wait();
    await assert.rejects(world.owner.cove.listPendingReleases({ provider, assetId: dataset.assetId }), code('NOT_ASSET_OWNER'));
    const id = String(dataset.assetId);
    const listed = JSON.parse(await holder.coveOk(['review', id, '--json'])) as { jobs: { jobId: string }[] };
    assert.deepEqual(listed.jobs.map((j) => j.jobId), [jobId]);
    const out = join(world.dir, 'cli-inspect');
    assert.match(await holder.coveOk(['review', id, '--inspect', jobId, '--out', out]), /the files match the manifest/);
    assert.deepEqual((await readdir(out)).sort(), ['metrics.json', 'model.json']);
    assert.equal((await holder.cove(['review', id, '--release', jobId, '--reject', jobId])).code, 2, 'one action at a time');
    assert.match(await holder.coveOk(['review', id, '--release', jobId]), /succeeded/);
    const job = await world.buyer.cove.waitForJob({ provider, jobId, waitForReceipt: true, timeoutMs: 60_000, pollMs: 200 });
    assert.equal(job.status, 'succeeded');
  });
});
