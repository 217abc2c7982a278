import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { encryptStream, generateContentKey, getMockErc20, publishAsset, listAssets, buyDatatokens, orderAsset } from '@cove/sdk';
import { createTestWorld, ONE, TEST_COMPUTE_POLICY } from '../sdk/src/actions/assets/test-world.js';
import { against, medianMs, type BenchRow, type BenchSuite } from './lib.js';

const SUITE = 'actions';
const MIB = 1024 * 1024;

/**
 * The SDK's owner and buyer actions on anvil and Helia: publish throughput against the bare
 * data plane (envelope + Helia add of the same file, measured in the same run), listing
 * latency per verified asset, and the gas a buyer spends through the actions.
 */
export const actions: BenchSuite = {
  name: SUITE,
  async run() {
    const rows: BenchRow[] = [];
    const w = await createTestWorld();
    const dir = await mkdtemp(join(tmpdir(), 'cove-bench-actions-'));
    try {
      const owner = await w.account();
      const provider = { url: 'http://127.0.0.1:9', address: w.provider.address, x25519PublicKey: w.provider.x25519PublicKey };
      const size = 64 * MIB;
      const file = join(dir, 'data.bin');
      await writeFile(file, randomBytes(size));

      const bareMs = await medianMs(3, async () => {
        const enc = encryptStream(createReadStream(file, { highWaterMark: MIB }), { key: generateContentKey() });
        await w.storage.add(enc);
        await enc.result;
      });
      const bare: BenchRow = { suite: SUITE, name: 'envelope + Helia add, 64 MiB (baseline)', value: size / MIB / (bareMs / 1000), unit: 'MiB/s' };
      const publishMs = await medianMs(3, () =>
        publishAsset(owner.client, { file, name: 'Bench', contentType: 'application/octet-stream', provider, pin: false, computePolicy: TEST_COMPUTE_POLICY, pricing: { type: 'fixed', baseToken: w.baseAddress, rate: ONE } }),
      );
      rows.push(bare, against({ suite: SUITE, name: 'publishAsset, 64 MiB (encrypt, add, document, one tx)', value: size / MIB / (publishMs / 1000), unit: 'MiB/s' }, bare));

      for (let i = 0; i < 17; i++) {
        await publishAsset(owner.client, { source: [Buffer.from(`row ${i}\n`)] as never, name: `Small ${i}`, contentType: 'text/plain', provider, pin: false, computePolicy: TEST_COMPUTE_POLICY });
      }
      const eventsMs = await medianMs(3, () => listAssets(owner.client, { documents: false }));
      const listMs = await medianMs(3, () => listAssets(owner.client));
      const eventsRow: BenchRow = { suite: SUITE, name: 'listAssets, 20 assets, events only (baseline)', value: eventsMs, unit: 'ms' };
      rows.push(eventsRow, against({ suite: SUITE, name: 'listAssets, 20 assets, documents verified', value: listMs, unit: 'ms', note: `${(listMs / 20).toFixed(1)} ms per asset` }, eventsRow));

      // A buyer's approve + buy + order through the actions, steady state (second purchase of a second buyer).
      const priced = await publishAsset(owner.client, { source: [Buffer.from('x')] as never, name: 'Priced', contentType: 'text/plain', provider, pin: false, computePolicy: TEST_COMPUTE_POLICY, pricing: { type: 'fixed', baseToken: w.baseAddress, rate: ONE } });
      const gas: number[] = [];
      for (let i = 0; i < 2; i++) {
        const buyer = await w.account();
        await (await getMockErc20(w.baseAddress, w.deployer).getFunction('mint')(buyer.wallet.address, 10n * ONE)).wait();
        const bought = await buyDatatokens(buyer.client, { assetId: priced.assetId, amount: ONE });
        const order = await orderAsset(buyer.client, { assetId: priced.assetId, provider: w.provider.address });
        let total = 0;
        for (const h of [bought.approveTxHash, bought.txHash, order.txHash]) if (h) total += Number((await w.rpc.getTransactionReceipt(h))!.gasUsed);
        gas.push(total);
      }
      rows.push({ suite: SUITE, name: 'approve + buy + order via the actions (new buyer)', value: gas[1]!, unit: 'gas', note: 'Ocean: 265,000 (published figure)' });
    } finally {
      await rm(dir, { recursive: true, force: true });
      await w.close();
    }
    return rows;
  },
};
