import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { saveKeyPair } from '../../crypto/keys.js';
import { isCoveError } from '../../errors.js';
import { writeNetworkFile } from '../../client/home.js';
import { identityFiles } from '../../identity.js';
import { createTestWorld, ONE } from '../assets/test-world.js';
import { publishAsset } from '../assets/publishAsset.js';
import { buyDatatokens } from '../market/buyDatatokens.js';
import { orderAsset } from '../market/orderAsset.js';
import { startCompute } from './startCompute.js';
import { waitForJob } from './waitForJob.js';
import { getJobLogs } from './getJobLogs.js';
import { imageId, startProviderProcess, TEST_NODE_IMAGE } from './test-provider.js';

const COVE = fileURLToPath(new URL('../../../bin/cove.mjs', import.meta.url));
const CRASH = `console.log('epoch 1 loss 0.71'); console.error('Error: NaN in the gradients'); process.exit(1);`;
const EXPECTED = 'epoch 1 loss 0.71\n\n--- stderr ---\nError: NaN in the gradients\n';

test('getJobLogs and `cove logs` return the log tail of a job that failed, against the real provider', async (t) => {
  const w = await createTestWorld();
  t.after(() => w.close());
  const owner = await w.account();
  const buyer = await w.account();
  const provider = await startProviderProcess(w, { peers: w.storage.multiaddrs() });
  t.after(() => provider.stop());
  const image = await imageId(TEST_NODE_IMAGE);
  const asset = await publishAsset(owner.client, {
    source: [Buffer.from('a,b\n1,2\n')] as never, name: 'Pairs', contentType: 'text/csv',
    provider: { url: provider.url },
    services: [{ type: 'compute', timeoutSeconds: 3600 }],
    computePolicy: {
      allowedImages: [image], allowAnyAlgorithm: true,
      limits: { cpus: 1, memoryBytes: 256 * 1024 * 1024, timeoutSeconds: 60, pidsLimit: 64, outputBytes: 1024 * 1024 },
      outputPolicy: { maxBytes: 1024 * 1024, allowedPatterns: ['*.json'], logs: 'tail:20', leakGuard: { enabled: true, minRunBytes: 64 } },
    },
    pricing: { type: 'free', maxPerAddress: 5n * ONE },
  });
  await buyDatatokens(buyer.client, { assetId: asset.assetId, amount: ONE });
  const order = await orderAsset(buyer.client, { assetId: asset.assetId });
  const { jobId } = await startCompute(buyer.client, { provider: provider.url, datasets: [{ assetId: asset.assetId, orderTxHash: order.txHash }], algorithm: { image, code: Buffer.from(CRASH), fileName: 'train.js' } });
  const final = await waitForJob(buyer.client, { provider: provider.url, jobId, pollMs: 200, timeoutMs: 90_000 });
  assert.equal(final.status, 'failed');

  assert.deepEqual(await getJobLogs(buyer.client, { provider: provider.url, jobId }), { jobId, status: 'failed', logs: EXPECTED });
  await assert.rejects(getJobLogs(owner.client, { provider: provider.url, jobId }), (e) => isCoveError(e, 'SIGNER_MISMATCH'));

  // The CLI, from the buyer's Cove home.
  const home = join(w.dir, 'buyer-home');
  const files = identityFiles(home);
  await mkdir(home, { mode: 0o700 });
  await saveKeyPair({ path: files.x25519KeyFile, keyPair: buyer.keys });
  await writeFile(files.keyFile, buyer.wallet.privateKey, { mode: 0o600 });
  const { chainId, deploymentBlock, ...contracts } = w.cove;
  await writeNetworkFile(join(home, 'network.json'), { rpcUrl: w.anvil.rpcUrl, chainId: chainId.toString(), contracts, ...(deploymentBlock !== undefined && { deploymentBlock }) });
  const cove = (...args: string[]) => promisify(execFile)(process.execPath, [COVE, '--home', home, ...args]);
  const json = await cove('--json', 'logs', jobId, '--provider', provider.url);
  assert.deepEqual(JSON.parse(json.stdout), { jobId, status: 'failed', logs: EXPECTED });
  const human = await cove('logs', jobId, '--provider', provider.url);
  assert.equal(human.stdout, `job ${jobId}: failed\n${EXPECTED}`);
});
