import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keccak256, toUtf8Bytes, type Contract } from 'ethers';
import { JOB_RUNTIME, JOB_STATUS, decodeContractError } from '../../contracts/index.js';
import { listingHash } from './hashes.js';
import { algorithmHash } from '../../algorithm/spec.js';
import { createAuditWorld, TEST_IMAGE_ID, TEST_SPEC, type AuditWorld, type PublishedAsset } from './testing/world.js';
import type { AuditCheckName, JobVerdict } from './types.js';
import { verifyJob } from './verifyJob.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const RESULTS = new Map([
  ['model.pkl', bytes('trained weights')],
  ['metrics.json', bytes('{"accuracy":0.95}')],
]);
const outputsHashOf = (files: Map<string, Uint8Array>) =>
  listingHash([...files].map(([path, b]) => ({ path, sha256: createHash('sha256').update(b).digest('hex') })));

function check(verdict: JobVerdict, name: AuditCheckName) {
  const c = verdict.checks.find((x) => x.name === name);
  assert.ok(c, `no ${name} check`);
  return c;
}
/** Asserts that exactly `name` failed, with `code`, and every other check passed. */
function onlyFailure(verdict: JobVerdict, name: AuditCheckName, code: string) {
  assert.equal(verdict.ok, false);
  const failed = verdict.checks.filter((c) => !c.ok).map((c) => `${c.name}:${c.code}`);
  assert.deepEqual(failed, [`${name}:${code}`]);
}

describe('verifyJob on anvil + Helia', () => {
  let world: AuditWorld;
  let asset: PublishedAsset;
  before(async () => {
    world = await createAuditWorld();
    const { document } = await world.datasetDocument();
    asset = await world.publish({ document });
  });
  after(() => world.close());

  async function recordedJob(overrides = {}, target = asset) {
    const orderId = await world.order(target.datatoken);
    const receipt = await world.receiptFor([{ orderId, asset: target }], { outputsHash: outputsHashOf(RESULTS), ...overrides });
    const txHash = await world.record(receipt);
    return { receipt, orderId, txHash };
  }

  it('passes every check for an honest job, with result files', async () => {
    const { receipt, orderId, txHash } = await recordedJob();
    const verdict = await verifyJob(world.client, { jobId: receipt.jobId, resultFiles: RESULTS, algorithm: TEST_SPEC });
    assert.deepEqual(
      verdict.checks.map((c) => [c.name, c.ok]),
      [
        ['receiptExists', true],
        ['providerSignature', true],
        ['providerRegistered', true],
        ['ordersValid', true],
        ['datasetContentHashes', true],
        ['documentUnchangedSinceJob', true],
        ['algorithmAllowed', true],
        ['algorithmSpec', true],
        ['outputsHash', true],
      ],
    );
    assert.equal(verdict.ok, true);
    assert.deepEqual(verdict.skipped, []);
    assert.equal(verdict.status, 'succeeded');
    assert.equal(verdict.provider, world.providerKey.address);
    assert.equal(verdict.recorded?.transactionHash, txHash);
    assert.equal(check(verdict, 'providerSignature').details?.signer, world.providerKey.address);
    const orders = check(verdict, 'ordersValid').details?.orders as { orderId: string; consumer: string; serviceId: number }[];
    assert.deepEqual(orders.map((o) => [o.orderId, o.consumer, o.serviceId]), [[orderId, world.consumer.address, 0]]);
    for (const c of verdict.checks) assert.ok(c.reason.length > 0);
  });

  it('reads result files from a directory, and skips outputsHash (saying so) without them', async () => {
    const { receipt } = await recordedJob();
    const dir = await mkdtemp(join(tmpdir(), 'cove-results-'));
    try {
      for (const [path, b] of RESULTS) await writeFile(join(dir, path), b);
      assert.equal((await verifyJob(world.client, { jobId: receipt.jobId, resultFiles: dir })).ok, true);
      await mkdir(join(dir, 'extra'));
      await writeFile(join(dir, 'extra', 'leak.csv'), 'row');
      onlyFailure(await verifyJob(world.client, { jobId: receipt.jobId, resultFiles: dir }), 'outputsHash', 'OUTPUTS_HASH_MISMATCH');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const bare = await verifyJob(world.client, { jobId: receipt.jobId });
    assert.equal(bare.ok, true);
    assert.equal(bare.checks.some((c) => c.name === 'outputsHash'), false);
    assert.deepEqual(bare.skipped.map((s) => s.name), ['algorithmSpec', 'outputsHash']);
  });

  it('fails outputsHash when a result file is altered', async () => {
    const { receipt } = await recordedJob();
    const altered = new Map(RESULTS);
    altered.set('model.pkl', bytes('trained weightz'));
    const verdict = await verifyJob(world.client, { jobId: receipt.jobId, resultFiles: altered });
    onlyFailure(verdict, 'outputsHash', 'OUTPUTS_HASH_MISMATCH');
    assert.equal(check(verdict, 'outputsHash').details?.receipt, receipt.outputsHash);
  });

  it('fails outputsHash for result files of a job that did not succeed, naming its status', async () => {
    const { receipt } = await recordedJob({ status: JOB_STATUS.timed_out, outputsHash: `0x${'00'.repeat(32)}`, resultCid: '' });
    const verdict = await verifyJob(world.client, { jobId: receipt.jobId, resultFiles: RESULTS });
    onlyFailure(verdict, 'outputsHash', 'JOB_NOT_SUCCEEDED');
    assert.equal(verdict.status, 'timed_out');
    assert.equal(check(verdict, 'outputsHash').details?.status, 'timed_out');
  });

  it('verifies a receipt of a job its owner rejected, failing only outputsHash with JOB_NOT_SUCCEEDED', async () => {
    const { receipt } = await recordedJob({ status: JOB_STATUS.rejected_by_owner, outputsHash: `0x${'00'.repeat(32)}`, resultCid: '' });
    const verdict = await verifyJob(world.client, { jobId: receipt.jobId, resultFiles: RESULTS });
    onlyFailure(verdict, 'outputsHash', 'JOB_NOT_SUCCEEDED');
    assert.equal(verdict.status, 'rejected_by_owner');
  });

  it('fails algorithmAllowed for an algorithm hash the policy does not approve (another command, env, user…)', async () => {
    const spec = { ...TEST_SPEC, command: ['python3', '-c', 'print(open("/data/inputs/1/data").read())'] };
    const { receipt } = await recordedJob({ algorithmHash: algorithmHash(spec) });
    onlyFailure(await verifyJob(world.client, { jobId: receipt.jobId }), 'algorithmAllowed', 'ALGORITHM_NOT_APPROVED');
  });

  it("fails algorithmAllowed when the receipt's image or code hash is not that of the approved spec it names", async () => {
    const { receipt } = await recordedJob({ algorithmImageDigest: keccak256(toUtf8Bytes('another image')) });
    onlyFailure(await verifyJob(world.client, { jobId: receipt.jobId }), 'algorithmAllowed', 'ALGORITHM_SPEC_MISMATCH');
    const { receipt: code } = await recordedJob({ algorithmCodeHash: keccak256(toUtf8Bytes('other code')) });
    onlyFailure(await verifyJob(world.client, { jobId: code.jobId }), 'algorithmAllowed', 'ALGORITHM_SPEC_MISMATCH');
  });

  it('passes algorithmAllowed where the policy allows any algorithm on the image, and marks the verdict anyAlgorithm', async () => {
    const base = (await world.datasetDocument()).document;
    const { allowedAlgorithms: _approved, ...rest } = base.computePolicy!;
    const open = await world.publish({ document: { ...base, computePolicy: { ...rest, allowAnyAlgorithm: true, allowedImages: [TEST_IMAGE_ID] } } });
    const { receipt: anyCode } = await recordedJob({ algorithmCodeHash: keccak256(toUtf8Bytes('other code')), algorithmHash: keccak256(toUtf8Bytes('any spec')) }, open);
    const verdict = await verifyJob(world.client, { jobId: anyCode.jobId });
    assert.equal(verdict.ok, true);
    assert.equal(verdict.anyAlgorithm, true);
    assert.match(check(verdict, 'algorithmAllowed').reason, /ANY ALGORITHM/);
    const { receipt: otherImage } = await recordedJob({ algorithmImageDigest: keccak256(toUtf8Bytes('another image')) }, open);
    onlyFailure(await verifyJob(world.client, { jobId: otherImage.jobId }), 'algorithmAllowed', 'IMAGE_NOT_ALLOWED');
  });

  it('fails algorithmAllowed with RUNTIME_NOT_ALLOWED where the policy requires gVisor and the receipt says runc; runsc, or no container on an engine error, passes', async () => {
    const base = (await world.datasetDocument()).document;
    const strict = await world.publish({ document: { ...base, computePolicy: { ...base.computePolicy!, requireRuntime: 'runsc' } } });
    const { receipt: onRunc } = await recordedJob({ runtime: JOB_RUNTIME.runc }, strict);
    const refused = await verifyJob(world.client, { jobId: onRunc.jobId });
    onlyFailure(refused, 'algorithmAllowed', 'RUNTIME_NOT_ALLOWED');
    assert.equal(refused.runtime, 'runc');
    assert.match(check(refused, 'algorithmAllowed').reason, /requires gVisor \(runsc\), the receipt says the job ran under runc/);
    const { receipt: onRunsc } = await recordedJob({ runtime: JOB_RUNTIME.runsc }, strict);
    const verified = await verifyJob(world.client, { jobId: onRunsc.jobId });
    assert.equal(verified.ok, true);
    assert.equal(verified.runtime, 'runsc');
    const noContainer = { runtime: JOB_RUNTIME.none, status: JOB_STATUS.engine_error, outputsHash: `0x${'00'.repeat(32)}`, resultCid: '' };
    const { receipt: engineError } = await recordedJob(noContainer, strict);
    assert.equal((await verifyJob(world.client, { jobId: engineError.jobId })).ok, true);
    // "No container ran" is an excuse only an engine error may give.
    const { receipt: claimsNone } = await recordedJob({ runtime: JOB_RUNTIME.none }, strict);
    onlyFailure(await verifyJob(world.client, { jobId: claimsNone.jobId }), 'algorithmAllowed', 'RUNTIME_NOT_ALLOWED');
  });

  it('checks a given spec against the receipt (algorithmSpec): the approved one passes, any other fails', async () => {
    const { receipt } = await recordedJob({});
    const good = await verifyJob(world.client, { jobId: receipt.jobId, algorithm: TEST_SPEC });
    assert.equal(check(good, 'algorithmSpec').ok, true);
    assert.equal(good.anyAlgorithm, false);
    const bad = await verifyJob(world.client, { jobId: receipt.jobId, algorithm: { ...TEST_SPEC, env: ['X=1'] } });
    onlyFailure(bad, 'algorithmSpec', 'ALGORITHM_HASH_MISMATCH');
  });

  it('never sees a receipt that spent an access order: the chain refuses it', async () => {
    const orderId = await world.order(asset.datatoken, { serviceId: 1 });
    const receipt = await world.receiptFor([{ orderId, asset }], { outputsHash: outputsHashOf(RESULTS) });
    await assert.rejects(world.record(receipt), (e) => decodeContractError(e)?.details?.error === 'ComputeReceiptsNotAComputeOrder');
    const verdict = await verifyJob(world.client, { jobId: receipt.jobId });
    assert.equal(verdict.ok, false);
    assert.equal(verdict.checks[0]!.code, 'RECEIPT_NOT_FOUND');
  });

  it('verifies every job of a batched receipt, each with its place in the batch', async () => {
    const receipts = [];
    for (let i = 0; i < 3; i++) receipts.push(await world.receiptFor([{ orderId: await world.order(asset.datatoken), asset }], { outputsHash: outputsHashOf(RESULTS) }));
    await world.recordBatch(receipts);
    for (const [i, r] of receipts.entries()) {
      const verdict = await verifyJob(world.client, { jobId: r.jobId, resultFiles: RESULTS });
      assert.equal(verdict.ok, true, JSON.stringify(verdict.checks.filter((c) => !c.ok)));
      assert.deepEqual({ index: verdict.batch?.index, count: verdict.batch?.count }, { index: i, count: 3 });
    }
  });

  it('fails receiptExists with JOB_ID_REUSED when a provider records two jobs under one id', async () => {
    const first = await world.receiptFor([{ orderId: await world.order(asset.datatoken), asset }]);
    await world.record(first);
    await world.record(await world.receiptFor([{ orderId: await world.order(asset.datatoken), asset }], { jobId: first.jobId }));
    const verdict = await verifyJob(world.client, { jobId: first.jobId });
    assert.equal(verdict.ok, false);
    assert.equal(verdict.checks[0]!.code, 'JOB_ID_REUSED');
  });

  it('fails datasetContentHashes when the receipt names other dataset bytes', async () => {
    const orderId = await world.order(asset.datatoken);
    const receipt = await world.receiptFor([{ orderId, asset }], { datasetContentHashes: [keccak256(toUtf8Bytes('other rows'))] });
    await world.record(receipt);
    onlyFailure(await verifyJob(world.client, { jobId: receipt.jobId }), 'datasetContentHashes', 'CONTENT_HASH_MISMATCH');
  });

  it('checks every dataset of a multi-dataset job', async () => {
    const other = await world.publish({ document: (await world.datasetDocument()).document });
    const orders = [
      { orderId: await world.order(asset.datatoken), asset },
      { orderId: await world.order(other.datatoken), asset: other },
    ];
    const good = await world.receiptFor(orders);
    await world.record(good);
    const verdict = await verifyJob(world.client, { jobId: good.jobId });
    assert.equal(verdict.ok, true);
    assert.equal((check(verdict, 'ordersValid').details?.orders as unknown[]).length, 2);

    const orders2 = [
      { orderId: await world.order(asset.datatoken), asset },
      { orderId: await world.order(other.datatoken), asset: other },
    ];
    const bad = await world.receiptFor(orders2, { datasetContentHashes: [asset.contentHash, asset.contentHash] });
    await world.record(bad);
    const badVerdict = await verifyJob(world.client, { jobId: bad.jobId });
    onlyFailure(badVerdict, 'datasetContentHashes', 'CONTENT_HASH_MISMATCH');
    assert.deepEqual((check(badVerdict, 'datasetContentHashes').details?.problems as { assetId: string }[]).map((p) => p.assetId), [other.assetId.toString()]);
  });

  it('fails the document checks, never passes them, when the anchored document cannot be loaded', async () => {
    const { document } = await world.datasetDocument();
    // Anchored on-chain but never added to storage: the (offline) node cannot find it.
    const unreachable = await world.publish({ document, stored: false });
    assert.equal(await world.storage.has(unreachable.cid), false);
    const { receipt } = await recordedJob({}, unreachable);
    const verdict = await verifyJob(world.client, { jobId: receipt.jobId, documentTimeoutMs: 300 });
    assert.equal(verdict.ok, false);
    assert.equal(check(verdict, 'datasetContentHashes').code, 'DOCUMENT_UNAVAILABLE');
    assert.equal(check(verdict, 'algorithmAllowed').code, 'DOCUMENT_UNAVAILABLE');
    assert.equal(check(verdict, 'documentUnchangedSinceJob').ok, true);
  });

  it('fails documentUnchangedSinceJob when the document is replaced after the job, naming the block and tx', async () => {
    const { document } = await world.datasetDocument();
    const target = await world.publish({ document });
    const { receipt } = await recordedJob({}, target);
    assert.equal((await verifyJob(world.client, { jobId: receipt.jobId })).ok, true);
    const change = await world.setDocument(target.assetId, { ...document, description: 'now with more rows' });
    const verdict = await verifyJob(world.client, { jobId: receipt.jobId });
    onlyFailure(verdict, 'documentUnchangedSinceJob', 'DOCUMENT_CHANGED');
    const c = check(verdict, 'documentUnchangedSinceJob');
    assert.match(c.reason, new RegExp(`block ${change.blockNumber}.*${change.transactionHash}`));
    const problem = (c.details?.problems as { details: { changedAt: { transactionHash: string; cid: string } } }[])[0]!;
    assert.equal(problem.details.changedAt.transactionHash, change.transactionHash);
    assert.equal(problem.details.changedAt.cid, change.cid);
  });

  it('reports a missing receipt as failed receiptExists and every other check as not evaluated', async () => {
    const verdict = await verifyJob(world.client, { jobId: keccak256(toUtf8Bytes('no such job')), resultFiles: RESULTS });
    assert.equal(verdict.ok, false);
    assert.equal(verdict.receipt, undefined);
    assert.deepEqual(verdict.checks.map((c) => c.code), ['RECEIPT_NOT_FOUND', ...Array(7).fill('NOT_EVALUATED')]);
  });

  it('rejects a malformed job id and an aborted signal with typed errors', async () => {
    await assert.rejects(verifyJob(world.client, { jobId: '0x1234' }), { code: 'INVALID_AUDIT_PARAMS' });
    const ctl = new AbortController();
    ctl.abort();
    await assert.rejects(verifyJob(world.client, { jobId: keccak256(toUtf8Bytes('x')), signal: ctl.signal }), { code: 'ABORTED' });
  });

  // Last: deregistering the provider affects every job it signed.
  it('fails providerRegistered once the provider deregisters after the job (the contract refuses unregistered signers up front)', async () => {
    const { receipt } = await recordedJob();
    const registry = world.client.contracts.providerRegistry.connect(world.providerKey);
    const tx = await registry.getFunction('deregister')();
    const mined = (await tx.wait())!;
    const verdict = await verifyJob(world.client, { jobId: receipt.jobId, resultFiles: RESULTS });
    onlyFailure(verdict, 'providerRegistered', 'PROVIDER_DEREGISTERED');
    const c = check(verdict, 'providerRegistered');
    assert.deepEqual(c.details?.deregisteredAt, { blockNumber: mined.blockNumber, transactionHash: tx.hash });
    // Pinned to the block before deregistration, the same job passes.
    const { createAuditIndexer } = await import('./indexer.js');
    const before = await createAuditIndexer(world.client, { toBlock: mined.blockNumber - 1 });
    assert.equal((await verifyJob(world.client, { jobId: receipt.jobId, indexer: before })).ok, true);
  });
});
