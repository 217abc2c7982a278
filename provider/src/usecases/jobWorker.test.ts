import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ALGORITHM_HASH, BUNDLE, CODE, createScenario, SPEC, type Scenario } from '../testing/scenario.js';
import { silentLogger } from '../testing/fakes.js';
import { createJobWorker, type JobWorker } from './jobWorker.js';
import { startCompute } from './startCompute.js';

const root = mkdtempSync(join(tmpdir(), 'cove-worker-'));
after(() => rmSync(root, { recursive: true, force: true }));

function worker(s: Scenario, o: { concurrency?: number; queueMax?: number; workRoot?: string } = {}) {
  return createJobWorker({
    store: s.store,
    engine: s.fengine.engine,
    storage: s.storage,
    crypto: s.crypto,
    chain: s.fchain.chain,
    workRoot: o.workRoot ?? mkdtempSync(join(root, 'w-')),
    concurrency: o.concurrency ?? 2,
    queueMax: o.queueMax ?? 10,
    maxCodeBytes: 1 << 20,
    logger: silentLogger,
    receiptRetry: { attempts: 3, delayMs: 5 },
  });
}

async function submit(s: Scenario, w: JobWorker) {
  const a = await s.addAsset();
  const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId).txHash }]);
  const { jobId } = await startCompute(
    { chain: s.fchain.chain, documents: s.documents.port, crypto: s.crypto, store: s.store, engine: s.fengine.engine, storage: s.storage, providerAddress: s.provider.address, dataNft: s.dataNft, queue: w, domain: s.domain, environments: s.environments, maxTtlSeconds: 3600, inlineCodeMaxBytes: 4096, codeMaxBytes: 1 << 20, runtime: 'runc' },
    { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE },
  );
  return { jobId, asset: a };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition never held');
};

describe('job worker', () => {
  it('runs a job to success: decrypted inputs, outputs published, receipt posted with every transition recorded', async () => {
    const s = createScenario();
    const w = worker(s);
    const { jobId, asset } = await submit(s, w);
    await until(() => s.fengine.started.length === 1);
    const spec = s.fengine.started[0]!;
    assert.deepEqual(readFileSync(join(spec.workspace, 'inputs', String(asset.assetId), 'data.csv')), asset.plaintext);
    assert.deepEqual(readFileSync(join(spec.workspace, 'algorithm', 'main.py')), CODE);
    // The engine gets exactly the approved spec and the bundle's files, nothing of the buyer's besides.
    assert.deepEqual(spec.algorithm, SPEC);
    assert.deepEqual(spec.algorithmFiles, ['main.py']);
    const bundle = join(root, 'bundle.tar');
    await writeFile(bundle, 'outputs');
    s.fengine.finish(jobId, { manifest: { files: [{ path: 'model.pkl', size: 7, sha256: '0x01' }], outputsHash: '0x' + 'ab'.repeat(32) }, bundlePath: bundle, logs: 'done', runtime: 'runsc' });
    await w.idle();
    const job = s.store.getJob(jobId)!;
    assert.equal(job.status, 'succeeded');
    assert.equal(job.runtime, 'runsc', 'the runtime the engine reported is stored');
    assert.deepEqual(s.store.transitions(jobId).map((t) => t.status), ['queued', 'preparing', 'running', 'publishing', 'succeeded']);
    assert.equal(s.storage.blobs.get(job.resultCid!)?.toString(), 'outputs');
    assert.match(job.resultKey!, /^sealed:0x2222/);
    assert.equal(job.receiptState, 'posted');
    assert.match(job.receiptTx!, /^0x[0-9a-f]{64}$/);
    const receipt = s.fchain.receipts[0]!;
    assert.equal(receipt.status, 'succeeded');
    assert.equal(receipt.outputsHash, '0x' + 'ab'.repeat(32));
    assert.deepEqual(receipt.assetIds, [asset.assetId]);
    assert.equal(receipt.algorithmHash, ALGORITHM_HASH, 'the receipt names the whole spec that ran');
    assert.equal(receipt.algorithmCodeHash, SPEC.codeHash);
    assert.equal(existsSync(spec.workspace), false, 'workspace removed');
  });

  it('ends engine_error, releasing nothing, when the engine reports code other than the approved bundle', async () => {
    const s = createScenario();
    const w = worker(s);
    const { jobId } = await submit(s, w);
    await until(() => s.fengine.started.length === 1);
    const bundle = join(root, 'other.tar');
    await writeFile(bundle, 'outputs');
    s.fengine.finish(jobId, { codeHash: '0x' + 'ee'.repeat(32), manifest: { files: [], outputsHash: '0x' + 'ab'.repeat(32) }, bundlePath: bundle });
    await w.idle();
    const job = s.store.getJob(jobId)!;
    assert.equal(job.status, 'engine_error');
    assert.equal(job.resultCid, null);
    assert.equal(s.fchain.receipts[0]!.outputsHash, '0x' + '0'.repeat(64));
  });

  it('posts a receipt with a zero outputs hash for a failed job, and keeps its released log tail', async () => {
    const s = createScenario();
    const w = worker(s);
    const { jobId } = await submit(s, w);
    await until(() => s.fengine.started.length === 1);
    s.fengine.finish(jobId, { status: 'failed', reason: 'exit code 1', logs: 'Traceback (most recent call last):\nValueError: bad\n' });
    await w.idle();
    assert.equal(s.store.getJob(jobId)!.status, 'failed');
    assert.equal(s.store.getJob(jobId)!.logs, 'Traceback (most recent call last):\nValueError: bad\n');
    assert.equal(s.fchain.receipts[0]!.outputsHash, '0x' + '0'.repeat(64));
    assert.equal(s.fchain.receipts[0]!.resultCid, '');
  });

  it('fails a job whose decrypted dataset does not match its content hash, without starting a container', async () => {
    const s2 = createScenario();
    const w2 = worker(s2, { concurrency: 1 });
    const a = await s2.addAsset();
    s2.storage.blobs.set(a.view.content.encryptedContentCid, Buffer.from('tampered'));
    const r = s2.computeRequest([{ assetId: a.assetId, txHash: s2.order(a.assetId).txHash }]);
    const { jobId: j2 } = await startCompute(
      { chain: s2.fchain.chain, documents: s2.documents.port, crypto: s2.crypto, store: s2.store, engine: s2.fengine.engine, storage: s2.storage, providerAddress: s2.provider.address, dataNft: s2.dataNft, queue: w2, domain: s2.domain, environments: s2.environments, maxTtlSeconds: 3600, inlineCodeMaxBytes: 4096, codeMaxBytes: 1 << 20, runtime: 'runc' },
      { request: r, signature: await s2.signCompute(r), inlineCode: BUNDLE },
    );
    await w2.idle();
    assert.equal(s2.store.getJob(j2)!.status, 'failed');
    assert.match(s2.store.getJob(j2)!.reason!, /contentHash/);
    assert.equal(s2.fengine.started.length, 0);
    assert.equal(s2.fchain.receipts.length, 1);
  });

  it('runs at most `concurrency` jobs and refuses admission once the waiting line is full', async () => {
    const s = createScenario();
    const w = worker(s, { concurrency: 1, queueMax: 1 });
    const j1 = await submit(s, w);
    const j2 = await submit(s, w);
    await until(() => s.fengine.started.length === 1);
    assert.equal(w.hasRoom(), false);
    await assert.rejects(submit(s, w), (e: { code?: string }) => e.code === 'QUEUE_FULL');
    s.fengine.finish(j1.jobId, { status: 'failed' });
    await until(() => s.fengine.started.length === 2);
    assert.equal(s.fengine.started[1]!.jobId, j2.jobId);
    s.fengine.finish(j2.jobId, { status: 'failed' });
    await w.idle();
  });

  it('stops a queued job at once and a running one through the engine, with receipts for both', async () => {
    const s = createScenario();
    const w = worker(s, { concurrency: 1 });
    const running = await submit(s, w);
    const queued = await submit(s, w);
    await until(() => s.fengine.started.length === 1);
    assert.equal(await w.stop(queued.jobId), 'stopped');
    await w.stop(running.jobId);
    await w.idle();
    assert.equal(s.store.getJob(running.jobId)!.status, 'stopped');
    assert.deepEqual(s.fengine.stopped, [running.jobId]);
    assert.equal(s.fchain.receipts.length, 2);
    assert.equal(s.fengine.started.length, 1, 'the stopped queued job never started');
  });

  it('retries a receipt until the chain takes it', async () => {
    const s = createScenario();
    s.fchain.state.failReceipts = 2;
    const w = worker(s);
    const { jobId } = await submit(s, w);
    await until(() => s.fengine.started.length === 1);
    s.fengine.finish(jobId, { status: 'failed' });
    await w.idle();
    assert.equal(s.store.getJob(jobId)!.receiptState, 'posted');
    assert.equal(s.fchain.receipts.length, 1);
  });

  it("keeps the receipt's batch root and block, and signs the order's consumer into it", async () => {
    const s = createScenario();
    const w = worker(s);
    const { jobId } = await submit(s, w);
    await until(() => s.fengine.started.length === 1);
    s.fengine.finish(jobId, { status: 'failed' });
    await w.idle();
    const job = s.store.getJob(jobId)!;
    assert.match(job.receiptRoot!, /^0x[0-9a-f]{64}$/);
    assert.equal(job.receiptBlock, s.fchain.state.block);
    assert.equal(s.fchain.receipts[0]!.consumer.toLowerCase(), s.consumer.address.toLowerCase());
  });

  it('does not retry a receipt ComputeReceipts refuses: the job records why', async () => {
    const s = createScenario();
    const w = worker(s);
    const { jobId } = await submit(s, w);
    s.fchain.state.rejectReceipts.add(jobId);
    await until(() => s.fengine.started.length === 1);
    s.fengine.finish(jobId, { status: 'failed' });
    await w.idle();
    const job = s.store.getJob(jobId)!;
    assert.equal(job.receiptState, 'failed');
    assert.match(job.receiptError!, /ComputeReceiptsRecordedTooLate/);
    assert.equal(s.fchain.state.posts, 1, 'posted once, not retried');
  });

  it('posts the receipts of jobs ending together concurrently, so the chain adapter may batch them', async () => {
    const s = createScenario();
    let inFlight = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const chain = {
      recordReceipt: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise<void>((r) => release.push(r));
        inFlight--;
        return { txHash: '0x' + '01'.repeat(32), root: '0x' + '02'.repeat(32), blockNumber: 7 };
      },
    };
    const w = createJobWorker({ store: s.store, engine: s.fengine.engine, storage: s.storage, crypto: s.crypto, chain, workRoot: mkdtempSync(join(root, 'w-')), concurrency: 3, queueMax: 10, maxCodeBytes: 1 << 20, logger: silentLogger });
    const jobs = [await submit(s, w), await submit(s, w), await submit(s, w)];
    await until(() => s.fengine.started.length === 3);
    for (const j of jobs) s.fengine.finish(j.jobId, { status: 'failed' });
    await until(() => release.length === 3);
    assert.equal(most, 3);
    for (const r of release) r();
    await w.idle();
    for (const j of jobs) assert.equal(s.store.getJob(j.jobId)!.receiptBlock, 7);
  });
});

describe('job worker: reconcile after a restart', () => {
  it('adopts a job whose container survived, requeues never-started ones, fails the rest, and never reruns a job', async () => {
    const s = createScenario();
    const workRoot = mkdtempSync(join(root, 'r-'));
    const w1 = worker(s, { concurrency: 1, workRoot });
    const adopted = await submit(s, w1);
    const lost = await submit(s, w1);
    const waitingJob = await submit(s, w1);
    const uploading = await submit(s, w1);
    await until(() => s.fengine.started.length === 1);
    w1.close();
    // Simulate the crash leaving `lost` as running without a container, and one mid-upload.
    s.store.transition(lost.jobId, 'preparing');
    s.store.transition(lost.jobId, 'running');
    s.store.transition(uploading.jobId, 'preparing');
    s.store.transition(uploading.jobId, 'running');
    s.store.transition(uploading.jobId, 'publishing');

    s.fengine.setRecovered([{ jobId: adopted.jobId, state: 'running' }]);
    const w2 = worker(s, { concurrency: 1, workRoot });
    const report = await w2.reconcile();
    assert.deepEqual(report.adopted, [adopted.jobId]);
    assert.deepEqual(report.requeued, [waitingJob.jobId]);
    assert.deepEqual(new Set(report.failed), new Set([lost.jobId, uploading.jobId]));
    assert.equal(s.store.getJob(lost.jobId)!.status, 'engine_error');
    assert.match(s.store.getJob(uploading.jobId)!.reason!, /publishing/);

    s.fengine.finish(adopted.jobId, { status: 'failed', reason: 'exit 2' });
    await until(() => s.fengine.started.length === 2);
    assert.equal(s.fengine.started[1]!.jobId, waitingJob.jobId);
    s.fengine.finish(waitingJob.jobId, { status: 'failed' });
    await w2.idle();
    assert.equal(s.store.getJob(adopted.jobId)!.status, 'failed');
    assert.equal(s.fengine.started.filter((x) => x.jobId === adopted.jobId).length, 1, 'adopted job not started again');
    assert.equal(s.fchain.receipts.length, 4);
  });

  it('posts receipts the chain refused before the restart', async () => {
    const s = createScenario();
    s.fchain.state.failReceipts = 3;
    const w1 = worker(s);
    const { jobId } = await submit(s, w1);
    await until(() => s.fengine.started.length === 1);
    s.fengine.finish(jobId, { status: 'failed' });
    await w1.idle();
    assert.equal(s.store.getJob(jobId)!.receiptState, 'failed');
    const w2 = worker(s);
    assert.deepEqual((await w2.reconcile()).receipts, [jobId]);
    await w2.idle();
    assert.equal(s.store.getJob(jobId)!.receiptState, 'posted');
  });
});
