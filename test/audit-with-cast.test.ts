/**
 * The independent path: scripts/audit-with-cast.sh verifies real jobs with cast, jq, sha256sum,
 * curl and python3's standard library only — no Cove code — and names the check that fails when
 * the evidence is wrong: an altered result file, a receipt whose algorithm the policy does not
 * approve, a swapped document. One devnet for the file; each case spends its own order.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hexlify, sha256 as sha256Hex, Wallet } from 'ethers';
import { algorithmHash, ANVIL_DEFAULT_KEYS, getComputeReceipts, JOB_RUNTIME, JOB_STATUS, receiptDomain, signReceiptBatch, type JobReceipt, type PublishAssetReturnType } from '@cove/sdk';
import { buyAndOrder, publishDataset, ROOT, runTraining, startWorld, writeSampleCsv, type World } from './lib/world.js';

const run = promisify(execFile);
const SCRIPT = join(ROOT, 'scripts', 'audit-with-cast.sh');

type Line = { verdict: 'PASS' | 'FAIL' | 'SKIP'; name: string; reason: string };
type Audit = { code: number; lines: Line[]; stdout: string; stderr: string };

describe('scripts/audit-with-cast.sh verifies jobs without Cove code', () => {
  let world: World;
  let dataset: PublishAssetReturnType;
  let other: PublishAssetReturnType;
  let deployment: string;
  let specFile: string;
  /** A passing job with its results on disk, shared by the cases that only change the evidence. */
  let job: { jobId: string; resultsDir: string };

  /** Runs the script on `jobId`; never throws on a non-zero exit. */
  async function audit(jobId: string, env: Record<string, string> = {}): Promise<Audit> {
    const full = { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, RPC_URL: world.devnet.rpcUrl, COVE_DEPLOYMENT: deployment, ...env };
    let out: { code: number; stdout: string; stderr: string };
    try {
      const { stdout, stderr } = await run('bash', [SCRIPT, jobId], { env: full, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });
      out = { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: unknown; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw err;
      out = { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
    const lines = out.stdout
      .split('\n')
      .map((l) => /^(PASS|FAIL|SKIP) (\S+)\s+(.*)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => ({ verdict: m[1] as Line['verdict'], name: m[2]!, reason: m[3]! }));
    return { ...out, lines };
  }

  /** The audit passed every check it printed, including `expected`. */
  function assertPasses(a: Audit, expected: string[]): void {
    const explain = `${a.stdout}\n${a.stderr}`;
    assert.equal(a.code, 0, explain);
    assert.deepEqual(a.lines.filter((l) => l.verdict !== 'PASS'), [], explain);
    for (const name of expected) assert.ok(a.lines.some((l) => l.name === name), `no ${name} line:\n${explain}`);
    assert.match(a.stdout, /PASSED\n$/);
  }

  /** The audit failed first on `name` (exit 1, named on the last line), and on no check outside `alsoFailing`. */
  function assertFailsOn(a: Audit, name: string, alsoFailing: string[] = []): void {
    const explain = `${a.stdout}\n${a.stderr}`;
    assert.equal(a.code, 1, explain);
    const failed = a.lines.filter((l) => l.verdict === 'FAIL').map((l) => l.name);
    assert.equal(failed[0], name, explain);
    assert.deepEqual(failed.filter((n) => n !== name && !alsoFailing.includes(n)), [], explain);
    assert.ok(a.stdout.trimEnd().endsWith(`first failing check: ${name}`), explain);
  }

  /** A receipt the devnet's provider key signs for an order on `asset`, with the values an honest one would carry unless overridden. */
  async function providerReceipt(asset: PublishAssetReturnType, lie: Partial<JobReceipt> = {}): Promise<JobReceipt> {
    const providerKey = new Wallet(ANVIL_DEFAULT_KEYS[1]);
    assert.equal(providerKey.address, world.devnet.provider.address);
    const order = await buyAndOrder(world, asset.assetId);
    const now = BigInt((await world.devnet.rpc.getBlock('latest'))!.timestamp);
    return {
      jobId: providerKey.address.toLowerCase() + hexlify(randomBytes(12)).slice(2),
      consumer: world.buyer.wallet.address,
      orderIds: [order.orderId],
      assetIds: [asset.assetId],
      datasetContentHashes: [asset.contentHash],
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
  }

  /** Signs `receipts` as one batch with the provider's key and records them (recordJob for one). */
  async function recordAsProvider(receipts: JobReceipt[]): Promise<void> {
    const providerKey = new Wallet(ANVIL_DEFAULT_KEYS[1]);
    const { signature } = await signReceiptBatch(providerKey, receiptDomain(world.devnet.contracts.chainId, world.devnet.contracts.computeReceipts), receipts);
    const contract = getComputeReceipts(world.devnet.contracts.computeReceipts, world.devnet.deployer);
    const tx = receipts.length === 1 ? await contract.getFunction('recordJob')(receipts[0]!, signature) : await contract.getFunction('recordBatch')(receipts, signature);
    await tx.wait();
  }

  before(async () => {
    world = await startWorld();
    const csv = join(world.owner.home, 'cast.csv');
    const otherCsv = join(world.owner.home, 'other.csv');
    await writeSampleCsv({ path: csv, rows: 200 });
    await writeSampleCsv({ path: otherCsv, rows: 120 });
    dataset = await publishDataset(world, { file: csv, name: 'Audited with cast' });
    other = await publishDataset(world, { file: otherCsv, name: 'Another dataset' });
    // The deployment file as Deploy.s.sol writes it (flat addresses, chain id and start block).
    const { chainId, deploymentBlock, ...contracts } = world.devnet.contracts;
    deployment = join(world.dir, 'deployment.json');
    await writeFile(deployment, JSON.stringify({ chainId: Number(chainId), deploymentBlock, ...contracts }, null, 2));
    specFile = join(world.dir, 'train.spec.json');
    await writeFile(specFile, JSON.stringify(world.trainSpec));

    const order = await buyAndOrder(world, dataset.assetId);
    const trained = await runTraining(world, { assetId: dataset.assetId, orderTxHash: order.txHash });
    assert.equal(trained.status, 'succeeded', trained.reason ?? '');
    const resultsDir = join(world.buyer.home, 'results-cast');
    await world.buyer.cove.getResults({ provider: world.devnet.provider.url, jobId: trained.jobId, out: resultsDir });
    job = { jobId: trained.jobId, resultsDir };
  });
  after(() => world?.close());

  it('passes every check on a real job: receipt, batch, Merkle proof, signature, orders, time, documents from the provider, policy, spec, result files and the encrypted result', async () => {
    const a = await audit(job.jobId, { RESULTS_DIR: job.resultsDir, ALGORITHM_SPEC: specFile, FETCH_RESULT: '1' });
    assertPasses(a, ['receiptFound', 'batchRecorded', 'merkleInclusion', 'providerSignature', 'providerRegistered', 'ordersConsumed', 'jobTime', 'documentHash', 'datasetContentHashes', 'algorithmAllowed', 'documentUnchanged', 'algorithmSpec', 'outputsHash', 'resultAvailable', 'lineage']);
    // The SDK agrees.
    assert.equal((await world.auditor.cove.verifyJob({ jobId: job.jobId, resultFiles: job.resultsDir, algorithm: world.trainSpec })).ok, true);
  });

  it('passes on a receipt inside a batch of three, proved by its Merkle path', async () => {
    const receipts = [await providerReceipt(dataset), await providerReceipt(other), await providerReceipt(dataset)];
    await recordAsProvider(receipts);
    const a = await audit(receipts[1]!.jobId);
    assertPasses(a, ['merkleInclusion', 'providerSignature']);
    assert.match(a.lines.find((l) => l.name === 'batchRecorded')!.reason, /receipt 2 of 3/);
    assert.match(a.lines.find((l) => l.name === 'merkleInclusion')!.reason, /with 2 sibling\(s\)/);
  });

  it('fails outputsHash when a result file was altered', async () => {
    const altered = join(world.buyer.home, 'results-cast-altered');
    await world.buyer.cove.getResults({ provider: world.devnet.provider.url, jobId: job.jobId, out: altered });
    const metrics = join(altered, 'metrics.json');
    await writeFile(metrics, (await readFile(metrics, 'utf8')).replace(/"accuracy": [0-9.]+/, '"accuracy": 1.0'));
    const a = await audit(job.jobId, { RESULTS_DIR: altered });
    assertFailsOn(a, 'outputsHash');
    assert.match(a.lines.find((l) => l.name === 'outputsHash')!.reason, /hash to 0x[0-9a-f]{64}, the receipt says/);
  });

  it('fails algorithmAllowed for a receipt whose algorithm spec the policy does not approve (signed and recorded by a dishonest provider)', async () => {
    const buyersCommand = { ...world.trainSpec, command: ['python3', '-c', 'print(open("/data/inputs/1/data.csv").read())'] };
    const receipt = await providerReceipt(dataset, { algorithmHash: algorithmHash(buyersCommand) });
    await recordAsProvider([receipt]);
    const a = await audit(receipt.jobId);
    assertFailsOn(a, 'algorithmAllowed');
    assert.match(a.lines.find((l) => l.name === 'algorithmAllowed')!.reason, /is not in the allowedAlgorithms/);
    // Given the approved spec, the auditor also sees it is not what ran.
    assertFailsOn(await audit(receipt.jobId, { ALGORITHM_SPEC: specFile }), 'algorithmAllowed', ['algorithmSpec']);
  });

  it('traces a model published from the job: lineage passes with the model document fetched and hash-checked', async () => {
    const model = await world.buyer.cove.publishModel({
      dir: job.resultsDir,
      parentJobIds: [job.jobId],
      name: 'Model audited with cast',
      description: `Trained by job ${job.jobId}.`,
      provider: { url: world.devnet.provider.url },
      services: [{ type: 'access', timeoutSeconds: 86_400 }],
    });
    const a = await audit(job.jobId, { RESULTS_DIR: job.resultsDir });
    assertPasses(a, ['lineage', 'outputsHash']);
    assert.match(a.lines.find((l) => l.name === 'lineage')!.reason, new RegExp(`model\\(s\\) ${model.assetId} cite this job`));
  });

  it('fails documentHash when the document served for the anchored CID is another one (a swapped document)', async () => {
    const provider = world.devnet.provider.url;
    const raw = { headers: { accept: 'application/vnd.ipld.raw' } };
    const swapped = Buffer.from(await (await fetch(`${provider}/ipfs/${other.documentCid}`, raw)).arrayBuffer());
    // A gateway that answers for the provider, except with the other dataset's document for this one's CID.
    const gateway: Server = createServer(async (req, res) => {
      const upstream = await fetch(`${provider}${req.url}`, raw);
      const body = req.url?.startsWith(`/ipfs/${dataset.documentCid}`) ? swapped : Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, { 'content-type': 'application/vnd.ipld.raw' }).end(body);
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = gateway.address() as { port: number };
      const a = await audit(job.jobId, { PROVIDER_URL: `http://127.0.0.1:${port}` });
      // Without a verified document, the checks that read it cannot pass either.
      assertFailsOn(a, 'documentHash', ['datasetContentHashes', 'algorithmAllowed']);
      assert.match(a.lines.find((l) => l.name === 'documentHash')!.reason, /not to its CID's digest/);
    } finally {
      await new Promise((resolve) => gateway.close(resolve));
    }
  });
});
