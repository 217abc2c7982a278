import { unixfs } from '@helia/unixfs';
import * as dagPb from '@ipld/dag-pb';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { DataPlaneError } from '../crypto/errors.js';
import { errorCode, patternSource } from '../crypto/test-helpers.js';
import { createStorageNode, type StorageNode } from './helia.js';
import { underDeclaredFile } from './test-dags.js';

const MiB = 1024 * 1024;
const DAG_CBOR = 0x71;

describe('storage node stat and fetch', () => {
  let dir: string;
  let publisher: StorageNode;
  let provider: StorageNode;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cove-fetch-'));
    publisher = await createStorageNode({ directory: join(dir, 'publisher'), listen: true });
    provider = await createStorageNode({ directory: join(dir, 'provider') });
    await provider.dial(publisher.multiaddrs()[0]!);
  });
  after(async () => {
    await provider.stop();
    await publisher.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stat reads the size a root declares from that block alone, over the network', async () => {
    const small = await publisher.add([Buffer.from('hello')]);
    const file = await publisher.add(patternSource(3 * MiB + 17));
    const directory = (await unixfs(publisher.helia).addDirectory()).toString();
    const signal = AbortSignal.timeout(10_000);
    assert.deepEqual(await provider.stat(small, { signal }), { bytes: 5 });
    assert.deepEqual(await provider.stat(file, { signal }), { bytes: 3 * MiB + 17 });
    assert.deepEqual(await provider.stat(directory, { signal }), { bytes: 0 });
    assert.equal(await provider.has(file), true, 'root fetched');
    const [leaf] = dagPb.decode(await collectBlock(provider, file)).Links;
    assert.equal(await provider.has(leaf!.Hash), false, 'leaves not fetched');
  });

  it('stat refuses a root that is not UnixFS with STORAGE_NOT_UNIXFS', async () => {
    const bytes = Uint8Array.of(0xa0); // dag-cbor {}
    const cid = CID.create(1, DAG_CBOR, await sha256.digest(bytes));
    await publisher.helia.blockstore.put(cid, bytes);
    assert.equal(await errorCode(provider.stat(cid.toString(), { signal: AbortSignal.timeout(10_000) })), 'STORAGE_NOT_UNIXFS');
  });

  it('fetch stops past maxBytes whatever the root declares, within a window of blocks, and deletes the blocks it fetched', async () => {
    const lie = await underDeclaredFile(publisher, { leaves: 12, leafBytes: MiB / 4 });
    const seen: number[] = [];
    const signal = AbortSignal.timeout(20_000);
    assert.equal(await errorCode(provider.fetch(lie.cid, { signal, window: 2, maxBytes: 1.5 * MiB, onProgress: (p) => seen.push(p.bytes) })), 'STORAGE_TOO_LARGE');
    assert.ok(seen.at(-1)! > 1.5 * MiB && seen.at(-1)! <= 2 * MiB + 1024, `stopped after ${seen.at(-1)} bytes`);
    for (const block of [lie.cid, ...lie.leaves]) assert.equal(await provider.has(block), false, `${block} deleted`);
  });

  it('fetch counts the real bytes of a root that under-declares its size, and does not pin', async () => {
    const lie = await underDeclaredFile(publisher, { leaves: 3, leafBytes: MiB });
    const signal = AbortSignal.timeout(20_000);
    assert.deepEqual(await provider.stat(lie.cid, { signal }), { bytes: lie.declared });
    const { bytes } = await provider.fetch(lie.cid, { signal, maxBytes: 4 * MiB });
    assert.ok(bytes > 3 * MiB && bytes < 3 * MiB + 1024, `${bytes} bytes`);
    assert.equal(await provider.helia.pins.isPinned(CID.parse(lie.cid)), false, 'fetch does not pin');
    const store = provider.helia.blockstore;
    const get = store.get.bind(store);
    const read: string[] = [];
    store.get = (cid, options) => (read.push(cid.toString()), get(cid, options));
    try {
      await provider.pin(lie.cid, { signal });
    } finally {
      store.get = get;
    }
    assert.deepEqual(read, [lie.cid], 'pinning after a fetch reads the root, not the leaves');
    for (const block of [lie.cid, ...lie.leaves]) assert.equal(await provider.helia.pins.isPinned(CID.parse(block)), true, `${block} pinned`);
  });

  it('pin fetches the leaves that are not here yet', async () => {
    const cid = await publisher.add(patternSource(3 * MiB, 64 * 1024, 9));
    await provider.pin(cid, { signal: AbortSignal.timeout(20_000) });
    const [leaf] = dagPb.decode(await collectBlock(provider, cid)).Links;
    assert.equal(await provider.has(leaf!.Hash), true);
    assert.equal(await provider.helia.pins.isPinned(leaf!.Hash), true);
  });

  it('fetch keeps at most `window` block reads in flight, and more than one', async () => {
    const cid = await publisher.add(patternSource(12 * MiB, 64 * 1024, 7));
    const store = provider.helia.blockstore;
    const get = store.get.bind(store);
    let now = 0;
    let most = 0;
    store.get = async function* (...args: Parameters<typeof get>) {
      most = Math.max(most, ++now);
      try {
        yield* get(...args);
      } finally {
        now--;
      }
    };
    try {
      const got = await provider.fetch(cid, { window: 4, signal: AbortSignal.timeout(20_000) });
      assert.ok(got.bytes > 12 * MiB && got.blocks === 13, `${got.blocks} blocks, ${got.bytes} bytes`);
    } finally {
      store.get = get;
    }
    assert.ok(most > 1 && most <= 4, `${most} reads in flight`);
  });

  it('fetch stops with CID_NOT_FOUND when no block arrives for idleTimeoutMs, keeps what arrived, and after a restart resumes without fetching it again', async () => {
    const lie = await underDeclaredFile(publisher, { leaves: 6, leafBytes: MiB, withhold: [4] });
    const directory = join(dir, 'resuming');
    let node = await createStorageNode({ directory });
    try {
      await node.dial(publisher.multiaddrs()[0]!);
      const error = await node.fetch(lie.cid, { idleTimeoutMs: 5000 }).catch((e: unknown) => e as DataPlaneError);
      assert.ok(error instanceof DataPlaneError && error.code === 'CID_NOT_FOUND', String(error));
      assert.equal(error.details?.idleTimeoutMs, 5000);
      assert.ok((error.details?.bytesRead as number) >= 5 * MiB, `read ${error.details?.bytesRead} bytes before the stall`);
      for (const block of [lie.cid, ...lie.leaves.filter((_, i) => i !== 4)]) assert.equal(await node.has(block), true, `${block} kept`);
      // the provider restarts (a fresh exchange with the publisher) and the publisher has it all now
      await node.stop();
      for (const { cid, bytes } of lie.withheld) await publisher.helia.blockstore.put(cid, bytes);
      node = await createStorageNode({ directory });
      await node.dial(publisher.multiaddrs()[0]!);
      const resumed = await node.fetch(lie.cid, { signal: AbortSignal.timeout(20_000) });
      assert.equal(resumed.fetchedBytes, MiB, 'only the withheld leaf came over the network');
      assert.ok(resumed.bytes > 6 * MiB && resumed.blocks === 7, `${resumed.blocks} blocks, ${resumed.bytes} bytes in all`);
    } finally {
      await node.stop();
    }
  });

  it('fetch of a CID no peer has stops with ABORTED when the signal fires', async () => {
    const missing = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';
    assert.equal(await errorCode(provider.fetch(missing, { signal: AbortSignal.timeout(300) })), 'ABORTED');
  });
});

async function collectBlock(node: StorageNode, cid: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of node.helia.blockstore.get(CID.parse(cid), { offline: true })) chunks.push(c);
  return Buffer.concat(chunks);
}
