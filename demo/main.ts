/**
 * `npm run demo [-- --keep]`: the whole Cove story on a local stack — an owner publishes
 * the breast-cancer dataset with a price and a compute policy, a buyer trains a model on
 * it without ever seeing it, tokenizes the model, and an auditor verifies it all from the
 * chain and the bytes. `--keep` leaves the stack running for the `cove` CLI.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { formatEther, parseEther } from 'ethers';
import { ORDER_AMOUNT, prepareAlgorithm } from '@cove/sdk';
import { startDevnet } from '@cove/provider';
import { devnetNetworkFile, keepHomes } from './keep.js';
import { createParticipant } from './participants.js';
import { parseLogregModel, scoreCsv } from './score.js';
import { createStory } from './story.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
const image = process.env.COVE_PYTHON_IMAGE ?? 'cove/python-sklearn:12';
const dir = resolve(process.env.COVE_DEMO_DIR ?? join(root, '.cove', 'demo'));
const story = createStory();

await rm(dir, { recursive: true, force: true });
await mkdir(dir, { recursive: true, mode: 0o700 });

story.step('Start a local chain, deploy Cove, start a provider');
const devnet = await startDevnet({ dir: join(dir, 'stack') });
const participants: { stop(): Promise<void> }[] = [];
let exitCode = 1;
try {
  story.fact('chain (anvil)', `${devnet.rpcUrl}, chain id ${devnet.contracts.chainId}`);
  story.fact('AssetFactory', devnet.contracts.assetFactory);
  story.fact('ComputeReceipts', devnet.contracts.computeReceipts);
  story.fact('provider', `${devnet.provider.url} (${devnet.provider.address}, registered)`);

  const owner = await createParticipant({ name: 'owner', dir, provider: devnet.rpc, contracts: devnet.contracts, signer: true, peers: devnet.provider.ipfsAddresses });
  const buyer = await createParticipant({ name: 'buyer', dir, provider: devnet.rpc, contracts: devnet.contracts, signer: true, peers: devnet.provider.ipfsAddresses });
  const auditor = await createParticipant({ name: 'auditor', dir, provider: devnet.rpc, contracts: devnet.contracts, signer: false, peers: devnet.provider.ipfsAddresses });
  participants.push(buyer, auditor);
  for (const p of [owner, buyer]) await devnet.fund(p.wallet.address, parseEther('10'));

  story.step('The owner exports the Wisconsin breast-cancer dataset (scikit-learn ships it)');
  const csvPath = join(owner.home, 'breast-cancer.csv');
  const exported = await run('docker', ['run', '--rm', '--network', 'none', '-v', `${join(root, 'examples/datasets')}:/x:ro`, image, 'python3', '/x/export-breast-cancer.py'], { maxBuffer: 64 * 1024 * 1024 });
  await writeFile(csvPath, exported.stdout);
  const rows = exported.stdout.trim().split('\n').length - 1;
  story.fact('dataset', `${rows} patients × 30 features + diagnosis, ${exported.stdout.length} bytes`);
  story.fact('sha256', createHash('sha256').update(exported.stdout).digest('hex'));

  story.step('The owner publishes it: encrypted, on IPFS, tokenized in one transaction');
  const imageId = (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image])).stdout.trim();
  const algorithmFile = join(root, 'examples/algorithms/train-logreg/algorithm.py');
  // What the owner approves is the whole container spec: image, code, command, working dir, env, user.
  const approved = await prepareAlgorithm(undefined, { image: imageId, file: algorithmFile });
  const published = await owner.cove.publishAsset({
    file: csvPath,
    contentType: 'text/csv',
    name: 'Wisconsin breast cancer (diagnostic)',
    description: 'Cell-nucleus features of 569 biopsies with their diagnosis. Compute only: the rows never leave.',
    tags: ['health', 'tabular', 'classification'],
    license: 'CC-BY-4.0',
    provider: { url: devnet.provider.url },
    computePolicy: {
      allowedAlgorithms: [{ hash: approved.algorithmHash, name: 'train-logreg', spec: approved.spec }],
      limits: { cpus: 1, memoryBytes: 1024 ** 3, timeoutSeconds: 300, pidsLimit: 256, outputBytes: 16 * 1024 ** 2 },
      outputPolicy: { maxBytes: 16 * 1024 ** 2, allowedPatterns: ['*.json'], logs: 'tail:20', leakGuard: { enabled: true, minRunBytes: 64 } },
    },
    pricing: { type: 'fixed', baseToken: '0x0000000000000000000000000000000000000000', rate: parseEther('0.01') },
    initialSupply: 10n * ORDER_AMOUNT,
  });
  const publishReceipt = await devnet.rpc.getTransactionReceipt(published.txHash);
  story.fact('asset id', published.assetId);
  story.fact('encrypted dataset', `ipfs://${published.encryptedContentCid}`);
  story.fact('asset document', `ipfs://${published.documentCid}`);
  story.fact('publish tx', `${published.txHash} (${publishReceipt?.gasUsed} gas: NFT + datatoken + price)`);
  story.fact('policy', `algorithm ${approved.algorithmHash.slice(0, 14)}… = image ${imageId.slice(0, 19)}…, code ${approved.spec.codeHash.slice(0, 12)}…, ${JSON.stringify(approved.spec.command)} as ${approved.spec.user}; outputs *.json (no pickles)`);
  await owner.stop();
  story.note('The owner goes offline: the provider pinned the ciphertext and the document.');

  story.step('The buyer buys one datatoken and spends it as an order');
  const bought = await buyer.cove.buyDatatokens({ assetId: published.assetId, amount: ORDER_AMOUNT });
  story.fact('bought', `1 datatoken for ${formatEther(bought.cost)} ETH (tx ${bought.txHash})`);
  const order = await buyer.cove.orderAsset({ assetId: published.assetId });
  story.fact('order', `${order.orderId} (tx ${order.txHash})`);

  story.step('The buyer runs a training algorithm beside the data');
  const { jobId } = await buyer.cove.startCompute({
    provider: devnet.provider.url,
    datasets: [{ assetId: published.assetId, orderTxHash: order.txHash }],
    algorithm: { image: imageId, file: algorithmFile },
  });
  story.fact('job', jobId);
  let last = '';
  const job = await buyer.cove.waitForJob({
    provider: devnet.provider.url,
    jobId,
    waitForReceipt: true,
    onProgress: (s) => {
      if (s.status !== last) story.fact('status', (last = s.status));
    },
  });
  if (job.status !== 'succeeded') throw new Error(`job ended ${job.status}: ${job.reason ?? ''}`);
  story.fact('receipt tx', `${job.receipt.txHash ?? '?'} (signed by the provider, on-chain)`);

  story.step('The buyer receives the model: decrypted locally, checked against the receipt');
  const resultsDir = join(buyer.home, 'results');
  const results = await buyer.cove.getResults({ provider: devnet.provider.url, jobId, out: resultsDir });
  for (const f of results.files) story.fact(f.path, `${f.size} bytes, sha256 ${f.sha256.slice(0, 16)}…`);
  const metrics = JSON.parse(await readFile(join(resultsDir, 'metrics.json'), 'utf8')) as { accuracy: number; roc_auc: number; brier: number; heldout_rows: number[] };
  story.fact('held-out accuracy', `${metrics.accuracy} (ROC AUC ${metrics.roc_auc}, Brier ${metrics.brier.toFixed(6)}) on ${metrics.heldout_rows.length} rows`);
  story.fact('outputs hash', `${results.outputsHash} = receipt`);

  story.step('The model is plain JSON weights (no pickle: loading it runs no code); scored again, it reproduces its metrics');
  const trained = parseLogregModel(await readFile(join(resultsDir, 'model.json'), 'utf8'));
  story.fact('model.json', `${trained.format}: ${trained.features.length} standardized features → P(${trained.label ?? 'label'} = ${trained.classes[1]}), intercept ${trained.intercept.toFixed(4)}`);
  // The buyer never sees the rows; the demo still holds the exported CSV, so it scores the held-out rows the job named.
  const rescored = scoreCsv({ model: trained, csv: exported.stdout, rows: metrics.heldout_rows });
  const reproduced =
    Math.abs(rescored.accuracy - metrics.accuracy) <= 5e-5 && Math.abs(rescored.rocAuc - metrics.roc_auc) <= 5e-5 && Math.abs(rescored.brier - metrics.brier) <= 1e-12;
  story.fact('scored model.json', `held-out accuracy ${rescored.accuracy.toFixed(4)}, ROC AUC ${rescored.rocAuc.toFixed(4)}, Brier ${rescored.brier.toFixed(6)} ${reproduced ? '= metrics.json' : '≠ metrics.json'}`);
  if (!reproduced) throw new Error(`model.json does not reproduce metrics.json: ${JSON.stringify(rescored)}`);
  const all = scoreCsv({ model: trained, csv: exported.stdout });
  story.fact('on all rows', `accuracy ${all.accuracy.toFixed(4)}, ROC AUC ${all.rocAuc.toFixed(4)} over all ${all.rows} patients (train + held-out)`);

  story.step('The buyer tokenizes the model as a derived asset with on-chain lineage');
  const model = await buyer.cove.publishModel({
    dir: resultsDir,
    parentJobIds: [jobId],
    name: 'Breast-cancer classifier (logistic regression)',
    description: `Trained by Cove job ${jobId} on asset ${published.assetId}.`,
    provider: { url: devnet.provider.url },
    services: [{ type: 'access', timeoutSeconds: 86_400 }],
  });
  story.fact('model asset', `${model.assetId} (tx ${model.txHash})`);
  story.fact('lineage on-chain', (await buyer.cove.getAsset({ assetId: model.assetId })).parentJobIds.join(', '));

  story.step('An auditor verifies the job and the lineage, trusting only the chain and the bytes');
  // The auditor holds the approved spec (it is in the asset's policy) and checks it is what ran.
  const verdict = await auditor.cove.verifyJob({ jobId, resultFiles: resultsDir, algorithm: approved.spec });
  for (const c of verdict.checks) story.fact(`${c.ok ? '✔' : '✘'} ${c.name}`, c.reason);
  story.fact('runtime', `the receipt signs that the job ran under ${verdict.runtime === 'runsc' ? 'runsc (gVisor: a user-space kernel between the job and the host)' : verdict.runtime}`);
  const audit = await auditor.cove.auditAsset({ assetId: published.assetId });
  story.fact('asset audit', `${audit.orders.length} order(s), ${audit.jobs.length} job(s), ${audit.derivedModels.length} derived model(s): ${audit.ok ? 'all verified' : 'FAILED'}`);

  const traced = await auditor.cove.verifyModel({ assetId: model.assetId, files: resultsDir });
  for (const c of traced.checks) story.fact(`${c.ok ? '✔' : '✘'} model ${c.name}`, c.reason);

  const ok = verdict.ok && audit.ok && traced.ok && audit.derivedModels.some((m) => m.assetId === model.assetId);
  story.step(ok ? `Verdict: VERIFIED — model ${model.assetId} traces back to dataset ${published.assetId} and its code` : 'Verdict: FAILED');
  story.note(`The story took ${story.elapsed().toFixed(1)} s.`);
  exitCode = ok ? 0 : 1;

  if (keep) {
    const lines = await keepHomes(dir, devnetNetworkFile(devnet), { assetId: published.assetId, jobId, modelId: model.assetId, resultsDir });
    story.step('The stack keeps running (Ctrl-C to stop). Try the CLI:');
    for (const line of lines) story.note(line);
    for (const p of participants) await p.stop();
    participants.length = 0;
    await new Promise<void>((res) => {
      process.once('SIGINT', res);
      process.once('SIGTERM', res);
    });
  }
} catch (err) {
  process.stderr.write(`\ndemo failed: ${(err as { code?: string }).code ?? ''} ${(err as Error).message}\n`);
} finally {
  for (const p of participants) await p.stop().catch(() => {});
  await devnet.close();
  if (!keep) await rm(dir, { recursive: true, force: true });
}
process.exit(exitCode);
