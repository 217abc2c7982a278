/**
 * `verifyJob` on a real stack names the check that fails, with its code, when a job's
 * evidence is wrong — and only that check: the others still pass. One devnet for the
 * file; each case spends its own order on its own job.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hexlify, sha256 as sha256Hex, Wallet } from 'ethers';
import {
  algorithmHash,
  ANVIL_DEFAULT_KEYS,
  AUDIT_CHECKS,
  getComputeReceipts,
  getProviderRegistry,
  JOB_RUNTIME, JOB_STATUS,
  receiptDomain,
  signReceiptBatch,
  type AuditCheckName,
  type AuditFailureCode,
  type JobReceipt,
  type JobVerdict,
  type PublishAssetReturnType,
} from '@cove/sdk';
import { TEST_IMAGES } from './lib/images.js';
import { buyAndOrder, imageIdOf, publishDataset, runTraining, startWorld, writeSampleCsv, type World } from './lib/world.js';

/** The verdict fails, on `name` with `code` and on no other check. */
function assertFailsOnly(verdict: JobVerdict, name: AuditCheckName, code: AuditFailureCode): void {
  const check = verdict.checks.find((c) => c.name === name);
  assert.ok(check, `no ${name} check`);
  assert.equal(check.ok, false, `${name} passed: ${check.reason}`);
  assert.equal(check.code, code, check.reason);
  for (const c of verdict.checks) if (c.name !== name) assert.ok(c.ok, `${c.name} should pass: ${c.code} ${c.reason}`);
  assert.equal(verdict.ok, false);
}

describe('verifyJob names the failing check', () => {
  let world: World;
  /** Shared by the cases that do not change the asset. */
  let shared: PublishAssetReturnType;
  /** Updated by its owner after a job. */
  let updated: PublishAssetReturnType;

  /** A trained job on `asset` with its results on disk. */
  async function trainedJob(asset: PublishAssetReturnType, name: string): Promise<{ jobId: string; resultsDir: string }> {
    const order = await buyAndOrder(world, asset.assetId);
    const job = await runTraining(world, { assetId: asset.assetId, orderTxHash: order.txHash });
    assert.equal(job.status, 'succeeded', job.reason ?? '');
    const resultsDir = join(world.buyer.home, `results-${name}`);
    await world.buyer.cove.getResults({ provider: world.devnet.provider.url, jobId: job.jobId, out: resultsDir });
    return { jobId: job.jobId, resultsDir };
  }

  before(async () => {
    world = await startWorld();
    const sharedCsv = join(world.owner.home, 'shared.csv');
    const updatedCsv = join(world.owner.home, 'updated.csv');
    await writeSampleCsv({ path: sharedCsv, rows: 240 });
    await writeSampleCsv({ path: updatedCsv, rows: 160 });
    shared = await publishDataset(world, { file: sharedCsv, name: 'Shared sample' });
    updated = await publishDataset(world, { file: updatedCsv, name: 'Sample updated after its job' });
  });
  after(() => world?.close());

  it('every check passes on an untouched job (the baseline the cases below depart from)', async () => {
    const { jobId, resultsDir } = await trainedJob(shared, 'baseline');
    const verdict = await world.auditor.cove.verifyJob({ jobId, resultFiles: resultsDir, algorithm: world.trainSpec });
    assert.deepEqual(verdict.checks.map((c) => [c.name, c.ok]), AUDIT_CHECKS.map((n) => [n, true]));
  });

  it('outputsHash fails when a result file was altered', async () => {
    const { jobId, resultsDir } = await trainedJob(shared, 'altered');
    const metrics = join(resultsDir, 'metrics.json');
    await writeFile(metrics, (await readFile(metrics, 'utf8')).replace(/"accuracy": [0-9.]+/, '"accuracy": 1.0'));
    const verdict = await world.auditor.cove.verifyJob({ jobId, resultFiles: resultsDir });
    assertFailsOnly(verdict, 'outputsHash', 'OUTPUTS_HASH_MISMATCH');
  });

  it('documentUnchangedSinceJob fails when the owner updated the asset document after the job', async () => {
    const { jobId, resultsDir } = await trainedJob(updated, 'updated');
    await world.owner.cove.updateAsset({ assetId: updated.assetId, changes: { description: 'Rewritten after the job ran.' } });
    const verdict = await world.auditor.cove.verifyJob({ jobId, resultFiles: resultsDir });
    assertFailsOnly(verdict, 'documentUnchangedSinceJob', 'DOCUMENT_CHANGED');
  });

  it('algorithmAllowed fails for receipts of a spec the owner did not approve, signed and recorded by a dishonest provider', async () => {
    const providerKey = new Wallet(ANVIL_DEFAULT_KEYS[1]);
    assert.equal(providerKey.address, world.devnet.provider.address);
    const nodeImageId = await imageIdOf(TEST_IMAGES.node);
    const buyersCommand = { ...world.trainSpec, command: ['python3', '-c', 'print(open("/data/inputs/1/data.csv").read())'] };
    const lies: [string, Partial<JobReceipt>, AuditFailureCode][] = [
      // The approved code with the buyer's own command: another spec, another hash.
      ["the approved code under the buyer's command", { algorithmHash: algorithmHash(buyersCommand) }, 'ALGORITHM_NOT_APPROVED'],
      // The approved hash, but the Node image in the receipt: not what the approved spec names.
      ['the approved hash over another image', { algorithmImageDigest: `0x${nodeImageId.replace(/^sha256:/, '')}` }, 'ALGORITHM_SPEC_MISMATCH'],
    ];
    for (const [what, lie, code] of lies) {
      const order = await buyAndOrder(world, shared.assetId);
      const now = BigInt((await world.devnet.rpc.getBlock('latest'))!.timestamp);
      const receipt: JobReceipt = {
        jobId: providerKey.address.toLowerCase() + hexlify(randomBytes(12)).slice(2),
        consumer: world.buyer.wallet.address,
        orderIds: [order.orderId],
        assetIds: [shared.assetId],
        datasetContentHashes: [shared.contentHash],
        algorithmImageDigest: `0x${world.pythonImageId.replace(/^sha256:/, '')}`,
        algorithmCodeHash: world.trainCodeHash,
        algorithmHash: world.trainAlgorithmHash,
        outputsHash: sha256Hex(Buffer.from('outputs the buyer never sees')),
        resultCid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
        status: JOB_STATUS.succeeded,
        runtime: JOB_RUNTIME.runc,
        startedAt: now,
        finishedAt: now + 1n,
        ...lie,
      };
      const { signature } = await signReceiptBatch(providerKey, receiptDomain(world.devnet.contracts.chainId, world.devnet.contracts.computeReceipts), [receipt]);
      const receipts = getComputeReceipts(world.devnet.contracts.computeReceipts, world.devnet.deployer);
      await (await receipts.getFunction('recordJob')(receipt, signature)).wait();

      const verdict = await world.auditor.cove.verifyJob({ jobId: receipt.jobId });
      assertFailsOnly(verdict, 'algorithmAllowed', code);
      assert.deepEqual(verdict.skipped.map((s) => s.name), ['algorithmSpec', 'outputsHash'], what);
    }
  });

  it('providerRegistered fails when the provider deregistered after the job', async () => {
    const { jobId, resultsDir } = await trainedJob(shared, 'deregistered');
    await world.devnet.provider.idle();
    const registry = getProviderRegistry(world.devnet.contracts.providerRegistry, new Wallet(ANVIL_DEFAULT_KEYS[1], world.devnet.rpc));
    const entry = await registry.getFunction('getProvider')(world.devnet.provider.address);
    await (await registry.getFunction('deregister')()).wait();
    try {
      const verdict = await world.auditor.cove.verifyJob({ jobId, resultFiles: resultsDir });
      assertFailsOnly(verdict, 'providerRegistered', 'PROVIDER_DEREGISTERED');
    } finally {
      // Back as it was, so the world stays usable whatever runs after.
      await (await registry.getFunction('register')(entry.url, entry.x25519PublicKey, entry.ipfsAddrs)).wait();
    }
    assert.equal((await world.auditor.cove.verifyJob({ jobId, resultFiles: resultsDir })).ok, true);
  });
});
