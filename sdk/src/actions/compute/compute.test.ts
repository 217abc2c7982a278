import { getReceipt } from '../audit/getReceipt.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isCoveError } from '../../errors.js';
import { createTestWorld, ONE } from '../assets/test-world.js';
import { publishAsset } from '../assets/publishAsset.js';
import { buyDatatokens } from '../market/buyDatatokens.js';
import { orderAsset } from '../market/orderAsset.js';
import { download } from '../access/download.js';
import type { JobStatusView } from '../../provider-api/http.js';
import { startCompute } from './startCompute.js';
import { waitForJob } from './waitForJob.js';
import { getJob } from './getJob.js';
import { getJobLogs } from './getJobLogs.js';
import { stopJob } from './stopJob.js';
import { getResults } from './getResults.js';
import { findProvider } from './findProvider.js';
import { imageId, startProviderProcess, TEST_NODE_IMAGE } from './test-provider.js';

const CSV = 'a,b\n' + Array.from({ length: 300 }, (_, i) => `${i},${i * 2}`).join('\n') + '\n';

/** Counts the dataset's rows into metrics.json; sleeps when COVE asks it to via its file name. */
const COUNT_ROWS = `
const fs = require('node:fs'); const path = require('node:path');
const root = '/data/inputs'; let rows = 0;
for (const a of fs.readdirSync(root)) for (const f of fs.readdirSync(path.join(root, a))) rows += fs.readFileSync(path.join(root, a, f), 'utf8').trim().split('\\n').length - 1;
fs.writeFileSync('/data/outputs/metrics.json', JSON.stringify({ rows }));
`;
const SLEEP = `const end = Date.now() + 30000; while (Date.now() < end) {}`;

test('publish (pinned by the provider) → buy → order → compute → wait → results verified on-chain, stop and download, against the real provider', async (t) => {
  const w = await createTestWorld();
  t.after(() => w.close());
  const owner = await w.account();
  const buyerNode = await w.node('buyer');
  const buyer = await w.account({ storage: buyerNode });
  const provider = await startProviderProcess(w, { peers: [...w.storage.multiaddrs(), ...buyerNode.multiaddrs()] });
  t.after(() => provider.stop());
  const image = await imageId(TEST_NODE_IMAGE);

  const asset = await publishAsset(owner.client, {
    source: [Buffer.from(CSV)] as never, name: 'Pairs', contentType: 'text/csv',
    provider: { url: provider.url },
    services: [{ type: 'compute', timeoutSeconds: 3600 }, { type: 'access', timeoutSeconds: 3600 }],
    computePolicy: {
      allowedImages: [image], allowAnyAlgorithm: true,
      limits: { cpus: 1, memoryBytes: 256 * 1024 * 1024, timeoutSeconds: 60, pidsLimit: 64, outputBytes: 1024 * 1024 },
      outputPolicy: { maxBytes: 1024 * 1024, allowedPatterns: ['*.json'], logs: 'none', leakGuard: { enabled: true, minRunBytes: 64 } },
    },
    pricing: { type: 'free', maxPerAddress: 5n * ONE },
  });
  // The provider pinned the ciphertext and the document: the publisher goes offline, the buyer reads from the provider.
  await w.storage.stop();
  await buyerNode.dial(provider.ipfs[0]!);
  await buyDatatokens(buyer.client, { assetId: asset.assetId, amount: 4n * ONE });

  // Compute: the order names the provider from the document; the job runs and posts a receipt.
  const order = await orderAsset(buyer.client, { assetId: asset.assetId });
  assert.equal(order.provider, provider.address);
  const { jobId } = await startCompute(buyer.client, { provider: provider.url, datasets: [{ assetId: asset.assetId, orderTxHash: order.txHash }], algorithm: { image, code: Buffer.from(COUNT_ROWS), fileName: 'count.js' } });
  // Discovery: the asset's document and the job id each lead to the provider's registered endpoint.
  const byAsset = await findProvider(buyer.client, { assetId: asset.assetId });
  assert.deepEqual(await findProvider(buyer.client, { jobId }), byAsset);
  assert.equal(byAsset.address, provider.address);
  assert.equal(byAsset.url, provider.url);
  assert.ok(provider.ipfs.every((a) => byAsset.ipfsAddrs.includes(a)), `${byAsset.ipfsAddrs.join(' ')} registered, ${provider.ipfs.join(' ')} listening`);
  await assert.rejects(findProvider(buyer.client, { address: owner.wallet.address }), (e) => isCoveError(e, 'PROVIDER_NOT_REGISTERED'));
  await assert.rejects(findProvider(buyer.client, { jobId: '0x1234' }), (e) => isCoveError(e, 'INVALID_PARAMS'));
  const seen: JobStatusView[] = [];
  const final = await waitForJob(buyer.client, { provider: provider.url, jobId, pollMs: 200, timeoutMs: 90_000, onProgress: (s) => seen.push(s) });
  assert.equal(final.status, 'succeeded', final.reason ?? '');
  assert.equal(final.receipt.state, 'posted');
  assert.ok(seen.length >= 2);
  assert.equal((await getJob(buyer.client, { provider: provider.url, jobId })).status, 'succeeded');
  // The owner's policy releases no logs.
  await assert.rejects(getJobLogs(buyer.client, { provider: provider.url, jobId }), (e) => isCoveError(e, 'LOGS_NOT_RELEASED'));

  const out = join(w.dir, 'results');
  const results = await getResults(buyer.client, { provider: provider.url, jobId, out, peers: provider.ipfs });
  assert.deepEqual(results.files.map((f) => f.path), ['metrics.json']);
  assert.deepEqual(JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')), { rows: 300 });
  const onChain = (await getReceipt(buyer.client, { jobId }))!;
  assert.equal(onChain.outputsHash, results.outputsHash);
  // A non-empty target is refused and left alone.
  const busy = join(w.dir, 'busy');
  await mkdir(busy);
  await writeFile(join(busy, 'keep.txt'), 'mine');
  await assert.rejects(getResults(buyer.client, { provider: provider.url, jobId, out: busy }), (e) => isCoveError(e, 'OUTPUT_EXISTS'));
  assert.deepEqual(await readdir(busy), ['keep.txt']);
  // Only the consumer may read the job.
  await assert.rejects(getJob(owner.client, { provider: provider.url, jobId }), (e) => isCoveError(e, 'SIGNER_MISMATCH'));
  // The order is spent.
  await assert.rejects(startCompute(buyer.client, { provider: provider.url, datasets: [{ assetId: asset.assetId, orderTxHash: order.txHash }], algorithm: { image, code: Buffer.from(COUNT_ROWS), fileName: 'count.js' } }), (e) => isCoveError(e, 'ORDER_ALREADY_USED'));

  // Stop: a long job ends as stopped, with a receipt; its results are refused with a code.
  const order2 = await orderAsset(buyer.client, { assetId: asset.assetId });
  const long = await startCompute(buyer.client, { provider: provider.url, datasets: [{ assetId: asset.assetId, orderTxHash: order2.txHash }], algorithm: { image, code: Buffer.from(SLEEP), fileName: 'sleep.js' } });
  for (let i = 0; i < 300 && (await getJob(buyer.client, { provider: provider.url, jobId: long.jobId })).status !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
  await stopJob(buyer.client, { provider: provider.url, jobId: long.jobId });
  const stopped = await waitForJob(buyer.client, { provider: provider.url, jobId: long.jobId, pollMs: 200, timeoutMs: 60_000 });
  assert.equal(stopped.status, 'stopped');
  await assert.rejects(getResults(buyer.client, { provider: provider.url, jobId: long.jobId, out: join(w.dir, 'none') }), (e) => isCoveError(e, 'JOB_FAILED'));

  // Download through the access service: decrypted locally, hash-checked.
  const access = await orderAsset(buyer.client, { assetId: asset.assetId, serviceId: 1 });
  const file = join(w.dir, 'download', 'pairs.csv');
  const got = await download(buyer.client, { assetId: asset.assetId, orderTxHash: access.txHash, out: file, peers: provider.ipfs });
  assert.equal(got.contentHash, asset.contentHash);
  assert.equal(await readFile(file, 'utf8'), CSV);
  await assert.rejects(download(buyer.client, { assetId: asset.assetId, orderTxHash: access.txHash, out: join(w.dir, 'again.csv') }), (e) => isCoveError(e, 'ORDER_ALREADY_USED'));
});
