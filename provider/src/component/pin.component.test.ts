import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PIN_REQUEST_TYPES, providerDomain } from '@cove/sdk';
import { startProvider, type RunningProvider } from '../start.js';
import { underDeclaredFile } from '../../../sdk/src/storage/test-dags.js';
import { createWorld, postJson, type World } from './world.js';

const MiB = 1024 * 1024;
let w: World;
let p: RunningProvider;
let nonce = 1n;

before(async () => {
  w = await createWorld();
  p = await startProvider(w.providerConfig({ COVE_PROVIDER_DATA_DIR: join(w.dir, 'pin'), COVE_PIN_MAX_BYTES: String(4 * MiB) }));
});
after(async () => {
  await p?.close({ stopJobs: true });
  await w?.close();
});

async function pin(cids: string[]) {
  const request = { publisher: w.publisher.address, cids, from: w.client.multiaddrs(), nonce: String(nonce++), expiry: Math.floor(Date.now() / 1000) + 600 };
  const signature = await w.publisher.signTypedData(providerDomain({ chainId: w.cove.chainId, provider: p.address }), PIN_REQUEST_TYPES, request);
  return postJson(`${p.url}/v1/pin`, { request, signature });
}

/** Bytes in the provider's blockstore on disk. */
async function storedBytes(): Promise<number> {
  const entries = await readdir(join(w.dir, 'pin', 'ipfs', 'blocks'), { withFileTypes: true, recursive: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => (await stat(join(e.parentPath, e.name))).size));
  return sizes.reduce((a, b) => a + b, 0);
}

// COVE_PIN_MAX_BYTES is a 4 MiB dataset: with its envelope, DAG and a 1 MiB document a
// request may store just over 5 MiB.
describe('pinning is capped at COVE_PIN_MAX_BYTES per request', () => {
  it('refuses content that declares more than the cap with 413 PIN_TOO_LARGE, fetching only its root', async () => {
    const cid = await w.client.add([randomBytes(6 * MiB)]);
    const before = await storedBytes();
    const r = await pin([cid]);
    assert.equal(r.status, 413, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'PIN_TOO_LARGE');
    assert.equal(r.body.error.details.declaredBytes, 6 * MiB);
    assert.ok((await storedBytes()) - before < 4096, 'at most the root block was stored');
  });

  it('refuses content whose root under-declares its size once the fetched bytes pass the cap, and keeps none of them', async () => {
    const lie = await underDeclaredFile(w.client, { leaves: 6, leafBytes: MiB });
    const before = await storedBytes();
    const r = await pin([lie.cid]);
    assert.equal(r.status, 413, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'PIN_TOO_LARGE');
    assert.equal(r.body.error.details.declaredBytes, lie.declared);
    assert.ok((await storedBytes()) - before < 4096, 'the fetched leaves were deleted');
  });

  it('pins content within the cap and counts the cap over all CIDs of a request', async () => {
    const [a, b, c] = [await w.client.add([randomBytes(1.5 * MiB)]), await w.client.add([randomBytes(1.5 * MiB)]), await w.client.add([randomBytes(2.5 * MiB)])];
    const before = await storedBytes();
    const ok = await pin([a, b]);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.pinned, [a, b]);
    assert.ok((await storedBytes()) - before >= 3 * MiB);
    const over = await pin([a, b, c]);
    assert.equal(over.status, 413, JSON.stringify(over.body));
    assert.equal(over.body.error.code, 'PIN_TOO_LARGE');
  });
});
