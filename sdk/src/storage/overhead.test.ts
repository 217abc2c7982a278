import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { envelopeSize } from '../crypto/envelope-format.js';
import { UNIXFS_CHUNK_BYTES, UNIXFS_LINKS_PER_NODE, unixfsOverheadBound } from './helia.js';

const GiB = 1024 ** 3;

/** The bytes of a full inner node as the importer writes it: 1024 links to blocks of `childBytes`. */
async function innerNodeBytes(childBytes: number, codec: number): Promise<number> {
  const links: dagPb.PBLink[] = [];
  for (let i = 0; i < UNIXFS_LINKS_PER_NODE; i++) {
    const cid = CID.create(1, codec, await sha256.digest(Uint8Array.of(i & 255, i >> 8)));
    links.push({ Hash: cid, Name: '', Tsize: childBytes + 60_000 });
  }
  const data = new UnixFS({ type: 'file', blockSizes: links.map(() => BigInt(childBytes)) }).marshal();
  return dagPb.encode(dagPb.prepare({ Data: data, Links: links })).byteLength;
}

describe('unixfsOverheadBound', () => {
  it('covers the inner nodes the importer writes, per level, for a 20 GiB dataset in its envelope', async () => {
    const leafLevel = await innerNodeBytes(UNIXFS_CHUNK_BYTES, raw.code);
    const upper = await innerNodeBytes(UNIXFS_CHUNK_BYTES * UNIXFS_LINKS_PER_NODE, dagPb.code);
    const sealed = envelopeSize(20 * GiB);
    const leaves = Math.ceil(sealed / UNIXFS_CHUNK_BYTES);
    const level1 = Math.ceil(leaves / UNIXFS_LINKS_PER_NODE);
    const real = level1 * leafLevel + upper; // 21 full nodes over the leaves, one root over them
    const bound = unixfsOverheadBound(sealed);
    assert.ok(real <= bound, `real ${real} > bound ${bound}`);
    assert.ok(bound < real * 2, `bound ${bound} is not tight (real ${real})`);
    assert.equal(unixfsOverheadBound(UNIXFS_CHUNK_BYTES), 0, 'a single leaf has no inner node');
  });
});
