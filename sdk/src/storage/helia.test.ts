import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decryptStream, encryptStream } from '../crypto/envelope.js';
import { generateContentKey } from '../crypto/keys.js';
import { collect, digest, errorCode, patternSource } from '../crypto/test-helpers.js';
import { createStorageNode } from './helia.js';

const MiB = 1024 * 1024;
const UNKNOWN_CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

/** Every file under `dir`, recursively. */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('storage node', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cove-storage-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('adds and cats content as CIDv1 with raw leaves', async () => {
    const node = await createStorageNode({ directory: join(dir, 'basic') });
    try {
      const cid = await node.add(patternSource(3 * MiB + 17));
      assert.match(cid, /^bafy/);
      assert.equal(await node.has(cid), true);
      assert.equal((await digest(node.cat(cid))).hash, (await digest(patternSource(3 * MiB + 17))).hash);
      const small = await node.add([Buffer.from('hello')]);
      assert.match(small, /^bafk/); // a single raw leaf
      assert.equal((await collect(node.cat(small))).toString(), 'hello');
      assert.deepEqual(node.multiaddrs(), []);
    } finally {
      await node.stop();
    }
  });

  it('keeps content and peer id across a restart on the same directory', async () => {
    const directory = join(dir, 'restart');
    const first = await createStorageNode({ directory });
    const cid = await first.add(patternSource(2 * MiB));
    await first.pin(cid);
    const peerId = first.peerId;
    await first.stop();
    const second = await createStorageNode({ directory });
    try {
      assert.equal(second.peerId, peerId);
      assert.equal(await second.has(cid), true);
      assert.equal((await digest(second.cat(cid, { timeoutMs: 2000 }))).hash, (await digest(patternSource(2 * MiB))).hash);
      assert.equal(await second.helia.pins.isPinned((await import('multiformats/cid')).CID.parse(cid)), true);
      await second.unpin(cid);
      assert.equal(await second.helia.pins.isPinned((await import('multiformats/cid')).CID.parse(cid)), false);
    } finally {
      await second.stop();
    }
  });

  it('fails with CID_NOT_FOUND within the timeout for an unknown CID on an isolated node', async () => {
    const node = await createStorageNode({ directory: join(dir, 'isolated') });
    try {
      const t0 = performance.now();
      assert.equal(await errorCode(collect(node.cat(UNKNOWN_CID, { timeoutMs: 300 }))), 'CID_NOT_FOUND');
      const elapsed = performance.now() - t0;
      assert.ok(elapsed >= 250 && elapsed < 5000, `took ${elapsed} ms`);
      assert.equal(await node.has(UNKNOWN_CID), false);
    } finally {
      await node.stop();
    }
  });

  it('honours an abort signal on cat and add', async () => {
    const node = await createStorageNode({ directory: join(dir, 'abort') });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      assert.equal(await errorCode(collect(node.cat(UNKNOWN_CID, { timeoutMs: 10_000, signal: controller.signal }))), 'ABORTED');
      const addAbort = new AbortController();
      const code = await errorCode(
        node.add(patternSource(20 * MiB), { signal: addAbort.signal, onProgress: (p) => p.bytes > 2 * MiB && addAbort.abort() }),
      );
      assert.equal(code, 'ABORTED');
    } finally {
      await node.stop();
    }
  });

  it('rejects malformed CIDs and multiaddrs with codes', async () => {
    const node = await createStorageNode({ directory: join(dir, 'malformed') });
    try {
      assert.equal(await errorCode(node.has('not-a-cid')), 'INVALID_CID');
      assert.equal(await errorCode(node.dial('nonsense')), 'STORAGE_DIAL_FAILED');
    } finally {
      await node.stop();
    }
  });

  it('never writes plaintext to the blockstore or datastore', async () => {
    const directory = join(dir, 'marker');
    const marker = 'COVE-PLAINTEXT-MARKER-7f3a9c';
    const node = await createStorageNode({ directory });
    try {
      const plaintext = Buffer.from(`${marker}\n`.repeat(50_000));
      const cid = await node.add(encryptStream([plaintext], { key: generateContentKey() }));
      await node.pin(cid);
    } finally {
      await node.stop();
    }
    const all = await files(directory);
    assert.ok(all.length > 1);
    for (const file of all) assert.equal((await readFile(file)).includes(marker), false, file);
  });

  it('would find the marker by that scan if plaintext were added (control)', async () => {
    const directory = join(dir, 'marker-control');
    const marker = 'COVE-PLAINTEXT-MARKER-7f3a9c';
    const node = await createStorageNode({ directory });
    try {
      await node.add([Buffer.from(`${marker}\n`.repeat(50_000))]);
    } finally {
      await node.stop();
    }
    const hits = [];
    for (const file of await files(directory)) if ((await readFile(file)).includes(marker)) hits.push(file);
    assert.ok(hits.length > 0);
  });

  it('writes nothing to its directory after stop, so a removed directory stays removed', async () => {
    const a = await createStorageNode({ directory: join(dir, 'late-a'), listen: true });
    const b = await createStorageNode({ directory: join(dir, 'late-b'), listen: true });
    await b.dial(a.multiaddrs()[0]!);
    await b.stop();
    await a.stop();
    await rm(join(dir, 'late-a'), { recursive: true });
    await rm(join(dir, 'late-b'), { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // past libp2p's 1 s address debounce
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('late-')), []);
  });

  it('moves a 20 MiB encrypted dataset between two nodes over loopback after a dial', async () => {
    const provider = await createStorageNode({ directory: join(dir, 'provider'), listen: true });
    const consumer = await createStorageNode({ directory: join(dir, 'consumer'), listen: true });
    try {
      const key = generateContentKey();
      const enc = encryptStream(patternSource(20 * MiB), { key });
      const cid = await provider.add(enc);
      const { contentHash } = await enc.result;
      assert.equal(await consumer.has(cid), false);
      assert.match(provider.multiaddrs()[0]!, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//);
      await consumer.dial(provider.multiaddrs()[0]!);
      // An idle timeout, generous for a loaded 2-core CI host (a block waits for the want round-trip).
      const plain = await digest(decryptStream(consumer.cat(cid, { timeoutMs: 30_000 }), { key, expectedContentHash: contentHash }));
      assert.equal(plain.bytes, 20 * MiB);
      assert.equal(plain.hash, contentHash);
      assert.equal(await consumer.has(cid), true);
    } finally {
      await consumer.stop();
      await provider.stop();
    }
  });
});
