import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Wallet, type Signer } from 'ethers';
import { REVIEW_REQUEST_TYPES, type ReviewAction } from '@cove/sdk';
import { isProviderError } from '../errors.js';
import type { OutputPolicyView } from '../ports.js';
import { silentLogger } from '../testing/fakes.js';
import { BUNDLE, CONSUMER_X25519, createScenario, type Scenario } from '../testing/scenario.js';
import { getJobLogs, getJobResult } from './jobQueries.js';
import { createJobWorker, type JobWorker } from './jobWorker.js';
import { inspectOutputs, listPendingReleases, rejectOutputs, releaseOutputs, type ReviewDeps } from './review.js';
import { startCompute } from './startCompute.js';

const root = mkdtempSync(join(tmpdir(), 'cove-review-'));
after(() => rmSync(root, { recursive: true, force: true }));
const ZERO32 = '0x' + '0'.repeat(64);
const OWNER_X25519 = '0x' + '33'.repeat(32);
const OUTPUTS_HASH = '0x' + 'ab'.repeat(32);
const MANIFEST = { files: [{ path: 'model.json', size: 7, sha256: '0x01' }], outputsHash: OUTPUTS_HASH };
const REVIEWED: OutputPolicyView & { review: boolean } = { maxBytes: 2 ** 20, allowedPatterns: ['*'], logs: { tail: 100 }, leakGuard: { enabled: false, minRunBytes: 64 }, review: true };

function worker(s: Scenario, dirs: { workRoot: string; reviewRoot: string }) {
  return createJobWorker({ store: s.store, engine: s.fengine.engine, storage: s.storage, crypto: s.crypto, chain: s.fchain.chain, ...dirs, concurrency: 2, queueMax: 10, maxCodeBytes: 1 << 20, logger: silentLogger, receiptRetry: { attempts: 2, delayMs: 5 } });
}

async function setup(o: { owners?: (Signer & { address: string })[]; reviewed?: boolean[] } = {}) {
  const s = createScenario();
  const dirs = { workRoot: mkdtempSync(join(root, 'w-')), reviewRoot: join(mkdtempSync(join(root, 'r-')), 'review') };
  const w = worker(s, dirs);
  const owners = o.owners ?? [s.publisher];
  const assets: Awaited<ReturnType<Scenario['addAsset']>>[] = [];
  for (const [i, owner] of owners.entries()) {
    const review = o.reviewed?.[i] ?? true;
    assets.push(await s.addAsset({ publisher: owner.address, compute: { output: review ? REVIEWED : { ...REVIEWED, review: false } } }));
  }
  const r = s.computeRequest(assets.map((a) => ({ assetId: a.assetId, txHash: s.order(a.assetId).txHash })));
  const { jobId } = await startCompute(
    { chain: s.fchain.chain, documents: s.documents.port, crypto: s.crypto, store: s.store, engine: s.fengine.engine, storage: s.storage, providerAddress: s.provider.address, dataNft: s.dataNft, queue: w, domain: s.domain, environments: s.environments, maxTtlSeconds: 3600, inlineCodeMaxBytes: 4096, codeMaxBytes: 1 << 20, runtime: 'runc' },
    { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE },
  );
  for (let i = 0; i < 500 && s.fengine.started.length === 0; i++) await new Promise((res) => setTimeout(res, 5));
  const bundle = join(dirs.workRoot, 'result.tar');
  await writeFile(bundle, 'the reviewed bytes');
  s.fengine.finish(jobId, { manifest: MANIFEST, bundlePath: bundle, logs: 'epoch 1 done' });
  await w.idle();
  const deps = (wk: JobWorker = w): ReviewDeps => ({ store: s.store, chain: s.fchain.chain, storage: s.storage, crypto: s.crypto, worker: wk, domain: s.domain, maxTtlSeconds: 3600 });
  async function signed(action: ReviewAction, signer: Signer, o2: { assetId?: bigint; jobId?: string; ownerX25519?: string } = {}) {
    const request = { assetId: String(o2.assetId ?? assets[0]!.assetId), action, jobId: action === 'list' ? ZERO32 : (o2.jobId ?? jobId), ownerX25519: o2.ownerX25519 ?? (action === 'inspect' ? OWNER_X25519 : ZERO32), expiry: Math.floor(Date.now() / 1000) + 300 };
    return { request, signature: await signer.signTypedData(s.domain, REVIEW_REQUEST_TYPES, request) };
  }
  return { s, w, dirs, jobId, assets, deps, signed };
}

const code = (c: string) => (err: unknown) => isProviderError(err) && err.code === c;

describe('owner review before release', () => {
  it('holds the outputs of a reviewed job: awaiting_release, no receipt, nothing for the buyer, the bundle kept outside the workspace', async () => {
    const { s, w, jobId } = await setup();
    const job = s.store.getJob(jobId)!;
    assert.equal(job.status, 'awaiting_release');
    assert.equal(job.resultCid, null);
    assert.equal(job.resultKey, null);
    assert.equal(job.receiptState, 'none');
    assert.equal(s.fchain.receipts.length, 0);
    assert.equal(existsSync(w.heldBundle(jobId)), true);
    const verifyAccess = () => s.consumer.address;
    assert.throws(() => getJobResult({ store: s.store, verifyAccess }, { jobId, action: 'read', expiry: 0, signature: '' }), code('JOB_NOT_FINISHED'));
    assert.equal(getJobLogs({ store: s.store, verifyAccess }, { jobId, action: 'read', expiry: 0, signature: '' }).logs, '', 'the log tail is held too');
  });

  it('lets only the current owner list, inspect, release or reject (NOT_ASSET_OWNER)', async () => {
    const { s, deps, signed } = await setup();
    for (const action of ['list', 'inspect', 'release', 'reject'] as const) {
      const fn = { list: listPendingReleases, inspect: inspectOutputs, release: releaseOutputs, reject: rejectOutputs }[action];
      await assert.rejects(fn(deps(), await signed(action, s.stranger)), code('NOT_ASSET_OWNER'), action);
    }
    // The publisher sold the NFT: its new holder reviews, the publisher no longer does.
    const buyerOfNft = Wallet.createRandom();
    s.fchain.owners.set(1n, buyerOfNft.address);
    await assert.rejects(listPendingReleases(deps(), await signed('list', s.publisher)), code('NOT_ASSET_OWNER'));
    assert.equal((await listPendingReleases(deps(), await signed('list', buyerOfNft))).jobs.length, 1);
  });

  it('refuses a listing or inspect token at release and reject', async () => {
    const { s, deps, signed, jobId } = await setup();
    await assert.rejects(releaseOutputs(deps(), await signed('list', s.publisher)), code('VALIDATION'));
    await assert.rejects(rejectOutputs(deps(), await signed('inspect', s.publisher)), code('VALIDATION'));
    // Re-labelling the action breaks the signature: it recovers to someone else.
    const t = await signed('inspect', s.publisher);
    await assert.rejects(releaseOutputs(deps(), { ...t, request: { ...t.request, action: 'release', ownerX25519: ZERO32 } }), code('NOT_ASSET_OWNER'));
    assert.equal(s.store.getJob(jobId)!.status, 'awaiting_release');
  });

  it('lists the held job and inspects it sealed to the owner, the job still held', async () => {
    const { s, deps, signed, jobId, assets } = await setup();
    const { jobs } = await listPendingReleases(deps(), await signed('list', s.publisher));
    assert.deepEqual(jobs.map((j) => [j.jobId, j.manifest.outputsHash, j.reviewers]), [[jobId, OUTPUTS_HASH, [{ assetId: String(assets[0]!.assetId), released: false }]]]);
    const seen = await inspectOutputs(deps(), await signed('inspect', s.publisher));
    assert.deepEqual(seen.manifest, MANIFEST);
    assert.equal(seen.logs, 'epoch 1 done');
    assert.equal(s.storage.blobs.get(seen.resultCid)?.toString(), 'the reviewed bytes');
    assert.match(seen.sealedKey, new RegExp(`^sealed:${OWNER_X25519}:`));
    await assert.rejects(inspectOutputs(deps(), await signed('inspect', s.publisher, { ownerX25519: ZERO32 })), code('VALIDATION'));
    assert.equal(s.store.getJob(jobId)!.status, 'awaiting_release');
  });

  it('releases: the buyer gets exactly the reviewed bundle, the job succeeds and the receipt is posted', async () => {
    const { s, w, deps, signed, jobId } = await setup();
    const out = await releaseOutputs(deps(), await signed('release', s.publisher));
    assert.deepEqual(out, { jobId, status: 'succeeded', pending: [] });
    await w.idle();
    const job = s.store.getJob(jobId)!;
    assert.equal(job.status, 'succeeded');
    assert.equal(s.storage.blobs.get(job.resultCid!)?.toString(), 'the reviewed bytes');
    assert.match(job.resultKey!, new RegExp(`^sealed:${CONSUMER_X25519}:`));
    assert.equal(s.fchain.receipts[0]!.status, 'succeeded');
    assert.equal(s.fchain.receipts[0]!.outputsHash, OUTPUTS_HASH);
    assert.equal(existsSync(w.heldBundle(jobId)), false, 'held bundle removed');
    assert.deepEqual(s.store.transitions(jobId).map((t) => t.status).slice(-3), ['awaiting_release', 'publishing', 'succeeded']);
    await assert.rejects(releaseOutputs(deps(), await signed('release', s.publisher)), code('JOB_NOT_AWAITING_RELEASE'));
  });

  it('rejects: rejected_by_owner on-chain with zero outputs, manifest and logs dropped, held bundle deleted', async () => {
    const { s, w, deps, signed, jobId } = await setup();
    assert.deepEqual(await rejectOutputs(deps(), await signed('reject', s.publisher)), { jobId, status: 'rejected_by_owner' });
    await w.idle();
    const job = s.store.getJob(jobId)!;
    assert.equal(job.status, 'rejected_by_owner');
    assert.equal(job.manifest, null);
    assert.equal(job.logs, null);
    assert.equal(job.resultCid, null);
    const r = s.fchain.receipts[0]!;
    assert.equal(r.status, 'rejected_by_owner');
    assert.equal(r.outputsHash, ZERO32);
    assert.equal(r.resultCid, '');
    assert.equal(existsSync(w.heldBundle(jobId)), false);
    await assert.rejects(releaseOutputs(deps(), await signed('release', s.publisher)), code('JOB_NOT_AWAITING_RELEASE'));
  });

  it('needs every reviewing owner to release, and one reject ends the job', async () => {
    const second = Wallet.createRandom();
    const a = await setup({ owners: [Wallet.createRandom(), second, Wallet.createRandom()], reviewed: [true, true, false] });
    const firstOwner = Wallet.createRandom();
    a.s.fchain.owners.set(a.assets[0]!.assetId, firstOwner.address);
    const r1 = await releaseOutputs(a.deps(), await a.signed('release', firstOwner));
    assert.deepEqual(r1, { jobId: a.jobId, status: 'awaiting_release', pending: [String(a.assets[1]!.assetId)] });
    assert.equal(a.s.fchain.receipts.length, 0);
    // The third dataset asked for no review: its owner has no say.
    await assert.rejects(releaseOutputs(a.deps(), await a.signed('release', a.s.publisher, { assetId: a.assets[2]!.assetId })), code('NOT_ASSET_OWNER'));
    const r2 = await releaseOutputs(a.deps(), await a.signed('release', second, { assetId: a.assets[1]!.assetId }));
    assert.equal(r2.status, 'succeeded');

    const b = await setup({ owners: [Wallet.createRandom(), second], reviewed: [true, true] });
    await releaseOutputs(b.deps(), await b.signed('release', (await ownerWallet(b, 0))));
    assert.equal((await rejectOutputs(b.deps(), await b.signed('reject', second, { assetId: b.assets[1]!.assetId }))).status, 'rejected_by_owner');
  });

  it('keeps an awaiting_release job across a restart, and returns a release cut short to awaiting_release', async () => {
    const { s, dirs, deps, signed, jobId } = await setup();
    const w2 = worker(s, dirs);
    const report = await w2.reconcile();
    assert.deepEqual([report.failed, report.requeued, report.adopted, report.receipts], [[], [], [], []]);
    assert.equal(s.store.getJob(jobId)!.status, 'awaiting_release');
    s.store.transition(jobId, 'publishing', { reason: 'released by the owners' }); // then the provider died
    const w3 = worker(s, dirs);
    await w3.reconcile();
    assert.equal(s.store.getJob(jobId)!.status, 'awaiting_release');
    assert.equal((await releaseOutputs(deps(w3), await signed('release', s.publisher))).status, 'succeeded');
    await w3.idle();
    assert.equal(s.storage.blobs.get(s.store.getJob(jobId)!.resultCid!)?.toString(), 'the reviewed bytes');
  });
});

/** A wallet made the current owner of the setup's `i`-th asset. */
async function ownerWallet(x: Awaited<ReturnType<typeof setup>>, i: number) {
  const w = Wallet.createRandom();
  x.s.fchain.owners.set(x.assets[i]!.assetId, w.address);
  return w;
}
