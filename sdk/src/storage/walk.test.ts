import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as dagPb from '@ipld/dag-pb';
import { unixfs } from '@helia/unixfs';
import { UnixFS } from 'ipfs-unixfs';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { collect, errorCode } from '../crypto/test-helpers.js';
import { createStorageNode, type StorageNode } from './helia.js';
import { underDeclaredFile } from './test-dags.js';
import { decodeUnixfsData, walkFile } from './walk.js';

async function put(node: StorageNode, codec: number, bytes: Uint8Array): Promise<CID> {
  const cid = CID.create(1, codec, await sha256.digest(bytes));
  await node.helia.blockstore.put(cid, bytes);
  return cid;
}

/** A dag-pb UnixFS file node over `children` (with their sizes), optionally with inline data first. */
async function fileNode(node: StorageNode, children: { cid: CID; size: number }[], data?: Uint8Array): Promise<{ cid: CID; size: number }> {
  const size = (data?.byteLength ?? 0) + children.reduce((a, c) => a + c.size, 0);
  const meta = new UnixFS({ type: 'file', ...(data ? { data } : {}), blockSizes: children.map((c) => BigInt(c.size)) });
  const bytes = dagPb.encode(dagPb.prepare({ Data: meta.marshal(), Links: children.map((c) => ({ Hash: c.cid, Tsize: c.size })) }));
  return { cid: await put(node, dagPb.code, bytes), size };
}

describe('walkFile', () => {
  let dir: string;
  let node: StorageNode;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cove-walk-'));
    node = await createStorageNode({ directory: dir });
  });
  after(async () => {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('yields the same bytes as the UnixFS exporter for a mixed, three-level DAG', async () => {
    const leaf = async (n: number) => {
      const bytes = randomBytes(n);
      return { cid: await put(node, raw.code, bytes), size: n };
    };
    // a dag-pb leaf holding its bytes inline, raw leaves, an inner node with data before its links
    const inlineLeaf = await fileNode(node, [], randomBytes(300));
    const inner1 = await fileNode(node, [await leaf(100), inlineLeaf, await leaf(7)]);
    const inner2 = await fileNode(node, [await leaf(1), await leaf(4096)], randomBytes(33));
    const root = await fileNode(node, [inner1, await leaf(50), inner2, await fileNode(node, [inner1, inner2])]);
    const expected = await collect(unixfs(node.helia).cat(root.cid));
    assert.equal(expected.byteLength, root.size);
    for (const window of [1, 2, 64]) {
      const got = await collect(walkFile({ helia: node.helia, cid: root.cid, signal: new AbortController().signal, window }));
      assert.ok(got.equals(expected), `window ${window}`);
    }
    // and through the node's cat
    assert.ok((await collect(node.cat(root.cid))).equals(expected));
  });

  it('reads at most `window` blocks ahead of a consumer that stops pulling', async () => {
    const leaves = await Promise.all(Array.from({ length: 40 }, async () => ({ cid: await put(node, raw.code, randomBytes(1024)), size: 1024 })));
    const root = await fileNode(node, leaves);
    let reads = 0;
    const helia = { getCodec: node.helia.getCodec.bind(node.helia), blockstore: { get: (cid: CID, o: object) => (reads++, node.helia.blockstore.get(cid, o)) } };
    const walk = walkFile({ helia: helia as unknown as StorageNode['helia'], cid: root.cid, signal: new AbortController().signal, window: 4 });
    await walk.next();
    await new Promise((r) => setTimeout(r, 50));
    // the root, the yielded leaf, and at most 4 ahead
    assert.ok(reads <= 6, `${reads} reads`);
    await walk.return(undefined);
  });

  it('refuses a file whose leaves do not add up to its declared size, and a directory', async () => {
    const lying = await underDeclaredFile(node, { leaves: 3, leafBytes: 10 });
    assert.equal(await errorCode(collect(node.cat(lying.cid))), 'STORAGE_FAILED');
    const dirNode = dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: 'directory' }).marshal(), Links: [] }));
    assert.equal(await errorCode(collect(node.cat(await put(node, dagPb.code, dirNode)))), 'STORAGE_NOT_UNIXFS');
  });

  it('decodes the file size of UnixFS data around 2^31, 2^32 and 20 GiB', () => {
    for (const size of [0n, 1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 20n * 2n ** 30n, 2n ** 53n - 1n]) {
      const meta = new UnixFS({ type: 'file', blockSizes: [size], data: new Uint8Array([9, 8]) });
      const decoded = decodeUnixfsData(meta.marshal());
      assert.equal(decoded.fileSize, size + 2n);
      assert.equal(decoded.type, 2);
      assert.deepEqual([...decoded.data!], [9, 8]);
    }
    assert.throws(() => decodeUnixfsData(new Uint8Array([0x12, 0x05, 1])), { code: 'STORAGE_NOT_UNIXFS' });
  });
});
