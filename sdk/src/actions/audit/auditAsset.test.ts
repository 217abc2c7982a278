import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keccak256, toUtf8Bytes } from 'ethers';
import { auditAsset, type AuditAssetProgress } from './auditAsset.js';
import { createAuditWorld, type AuditWorld, type PublishedAsset } from './testing/world.js';

describe('auditAsset on anvil + Helia', () => {
  let world: AuditWorld;
  let asset: PublishedAsset;
  let other: PublishedAsset;
  const jobs: string[] = [];
  const orders: string[] = [];
  let unspent: string;
  let badJob: string;
  let model: PublishedAsset;
  let unrelatedModel: PublishedAsset;

  before(async () => {
    world = await createAuditWorld();
    asset = await world.publish({ document: (await world.datasetDocument()).document });
    other = await world.publish({ document: (await world.datasetDocument()).document });
    for (let i = 0; i < 3; i++) {
      const orderId = await world.order(asset.datatoken);
      const receipt = await world.receiptFor([{ orderId, asset }]);
      await world.record(receipt);
      orders.push(orderId);
      jobs.push(receipt.jobId);
    }
    // A job over both datasets, and one whose image the policy does not allow.
    const both = [
      { orderId: await world.order(asset.datatoken), asset },
      { orderId: await world.order(other.datatoken), asset: other },
    ];
    const joint = await world.receiptFor(both);
    await world.record(joint);
    orders.push(both[0]!.orderId);
    jobs.push(joint.jobId);
    const badOrder = await world.order(asset.datatoken);
    const bad = await world.receiptFor([{ orderId: badOrder, asset }], { algorithmHash: keccak256(toUtf8Bytes('an unapproved spec')) });
    await world.record(bad);
    orders.push(badOrder);
    badJob = bad.jobId;
    jobs.push(bad.jobId);
    unspent = await world.order(asset.datatoken);
    orders.push(unspent);

    const modelDoc = (await world.datasetDocument()).document;
    model = await world.publish({ document: { ...modelDoc, kind: 'model', lineage: { parentJobIds: [jobs[0]!, jobs[3]!] } }, kind: 'model', parentJobIds: [jobs[0]!, jobs[3]!], from: world.consumer });
    // A model trained only on the other asset's job is not derived from `asset`.
    const otherOrder = await world.order(other.datatoken);
    const otherJob = await world.receiptFor([{ orderId: otherOrder, asset: other }]);
    await world.record(otherJob);
    unrelatedModel = await world.publish({ document: { ...modelDoc, kind: 'model', lineage: { parentJobIds: [otherJob.jobId] } }, kind: 'model', parentJobIds: [otherJob.jobId], from: world.consumer });
  });
  after(() => world.close());

  it('lists every order, verifies every job and finds the derived models', async () => {
    const progress: AuditAssetProgress[] = [];
    const audit = await auditAsset(world.client, { assetId: asset.assetId, onProgress: (p) => progress.push(p) });
    assert.equal(audit.datatoken, asset.datatoken);
    assert.deepEqual(audit.document, { cid: asset.cid, hash: asset.hash });
    assert.deepEqual(audit.orders.map((o) => o.orderId), orders);
    assert.deepEqual(audit.orders.map((o) => o.jobId), [...jobs.map((j) => j.toLowerCase()), null]);
    assert.ok(audit.orders.every((o) => o.consumer === world.consumer.address && o.provider === world.providerKey.address));

    assert.deepEqual(audit.jobs.map((j) => j.jobId), jobs.map((j) => j.toLowerCase()));
    const failing = audit.jobs.filter((j) => !j.ok);
    assert.deepEqual(failing.map((j) => j.jobId), [badJob.toLowerCase()]);
    assert.deepEqual(failing[0]!.checks.filter((c) => !c.ok).map((c) => c.code), ['ALGORITHM_NOT_APPROVED']);
    assert.equal(audit.ok, false);

    assert.deepEqual(audit.derivedModels.map((m) => m.assetId), [model.assetId]);
    assert.notEqual(model.assetId, unrelatedModel.assetId);
    assert.deepEqual(audit.derivedModels[0]!.fromJobs, [jobs[0]!.toLowerCase(), jobs[3]!.toLowerCase()]);

    assert.deepEqual(progress.at(-1), { phase: 'models', done: 1, total: 1 });
    assert.deepEqual(progress.filter((p) => p.phase === 'jobs').at(-1), { phase: 'jobs', done: 5, total: 5 });
  });

  it('sees only what existed at the block it is pinned to', async () => {
    const audit = await auditAsset(world.client, { assetId: other.assetId });
    const atPublish = await auditAsset(world.client, { assetId: other.assetId, toBlock: audit.orders[0]!.blockNumber - 1 });
    assert.deepEqual(atPublish.orders, []);
    assert.deepEqual(atPublish.jobs, []);
    assert.equal(audit.jobs.length, 2);
    assert.deepEqual(audit.derivedModels.map((m) => m.assetId), [model.assetId, unrelatedModel.assetId]);
  });

  it('rejects an unknown asset with ASSET_NOT_FOUND', async () => {
    await assert.rejects(auditAsset(world.client, { assetId: 9999n }), { code: 'ASSET_NOT_FOUND' });
    await assert.rejects(auditAsset(world.client, { assetId: 'seven' }), { code: 'INVALID_AUDIT_PARAMS' });
  });
});
