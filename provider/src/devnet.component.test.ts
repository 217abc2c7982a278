import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connectCove } from '@cove/sdk';
import { startDevnet } from './devnet.js';

test('startDevnet serves a provider registered on a fresh chain, advertising its IPFS node, and close() removes its data', async () => {
  const devnet = await startDevnet();
  let closed = false;
  try {
    const info = (await (await fetch(`${devnet.provider.url}/v1/info`)).json()) as { address: string; ipfs: string[] };
    assert.equal(info.address, devnet.provider.address);
    assert.deepEqual(info.ipfs, devnet.provider.ipfsAddresses, '/v1/info advertises the IPFS node clients must dial');
    assert.ok(info.ipfs.length > 0);
    const { providerRegistry } = connectCove(devnet.contracts, devnet.rpc);
    assert.equal(await providerRegistry.getFunction('isRegistered')(devnet.provider.address), true);
    await devnet.close();
    closed = true;
    assert.equal(existsSync(devnet.dir), false);
  } finally {
    if (!closed) await devnet.close();
  }
});
