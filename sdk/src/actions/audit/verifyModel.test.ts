import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { listingHash } from './hashes.js';
import { createAuditWorld, type AuditWorld, type PublishedAsset } from './testing/world.js';
import { verifyModel } from './verifyModel.js';

const MODEL = new Map([
  ['model.json', new TextEncoder().encode('{"coef":[0.5,-1.25]}')],
  ['metrics.json', new TextEncoder().encode('{"accuracy":0.93}')],
]);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const LISTING = [...MODEL].map(([path, bytes]) => ({ path, sha256: sha(bytes) })).sort((a, b) => a.path.localeCompare(b.path));

describe('verifyModel on anvil + Helia', () => {
  let world: AuditWorld;
  let dataset: PublishedAsset;
  let jobId: string;
  let outputsHash: string;

  before(async () => {
    world = await createAuditWorld();
    dataset = await world.publish({ document: (await world.datasetDocument()).document });
    outputsHash = listingHash(LISTING);
    const receipt = await world.receiptFor([{ orderId: await world.order(dataset.datatoken), asset: dataset }], { outputsHash });
    await world.record(receipt);
    jobId = receipt.jobId;
  });
  after(() => world.close());

  const publishModel = async (parents: { jobId: string; outputsHash: string; outputs: typeof LISTING; modelFiles: string[] }[]) => {
    const doc = (await world.datasetDocument()).document;
    return world.publish({ document: { ...doc, kind: 'model', lineage: { parentJobIds: [jobId], parents } }, kind: 'model', parentJobIds: [jobId], from: world.consumer });
  };

  it('traces a model to its job and dataset, and its bytes to the job outputs', async () => {
    const model = await publishModel([{ jobId, outputsHash, outputs: LISTING, modelFiles: ['model.json'] }]);
    const verdict = await verifyModel(world.client, { assetId: model.assetId, files: new Map([['model.json', MODEL.get('model.json')!]]) });
    assert.equal(verdict.ok, true, JSON.stringify(verdict.checks.filter((c) => !c.ok)));
    assert.deepEqual(verdict.checks.map((c) => c.name), ['lineageRecorded', 'parentJobs', 'outputsListing', 'modelFiles']);
    assert.deepEqual(verdict.datasets, [dataset.assetId]);
    assert.equal(verdict.jobs[0]!.jobId, jobId);
  });

  it('fails modelFiles when a model file is not the job output it claims to be', async () => {
    const model = await publishModel([{ jobId, outputsHash, outputs: LISTING, modelFiles: ['model.json'] }]);
    const verdict = await verifyModel(world.client, { assetId: model.assetId, files: new Map([['model.json', new TextEncoder().encode('{"coef":[9]}')]]) });
    assert.deepEqual(verdict.checks.filter((c) => !c.ok).map((c) => c.code), ['MODEL_FILES_MISMATCH']);
  });

  it('fails outputsListing when the document lists outputs the job did not produce', async () => {
    const forged = [{ path: 'model.json', sha256: sha(new TextEncoder().encode('other weights')) }];
    const model = await publishModel([{ jobId, outputsHash, outputs: forged, modelFiles: ['model.json'] }]);
    const verdict = await verifyModel(world.client, { assetId: model.assetId });
    assert.deepEqual(verdict.checks.filter((c) => !c.ok).map((c) => c.code), ['OUTPUTS_LISTING_MISMATCH']);
  });

  it('fails lineageRecorded for an asset that is not a model with lineage', async () => {
    const verdict = await verifyModel(world.client, { assetId: dataset.assetId });
    assert.equal(verdict.ok, false);
    assert.equal(verdict.checks[0]!.code, 'NO_LINEAGE');
  });
});
