/** DAG builders for storage tests only. */
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { randomBytes } from 'node:crypto';
import type { StorageNode } from './helia.js';

/**
 * Stores on `node` a UnixFS file root over `leaves` random raw blocks of `leafBytes` each,
 * whose root declares a file size of one byte per leaf: a publisher lying about its size.
 * The leaves at the indexes in `withhold` are not stored; their bytes are returned.
 */
export async function underDeclaredFile(
  node: StorageNode,
  params: { leaves: number; leafBytes: number; withhold?: number[] },
): Promise<{ cid: string; declared: number; leaves: string[]; withheld: { cid: CID; bytes: Uint8Array }[] }> {
  const links: dagPb.PBLink[] = [];
  const withheld: { cid: CID; bytes: Uint8Array }[] = [];
  for (let i = 0; i < params.leaves; i++) {
    const bytes = randomBytes(params.leafBytes);
    const cid = CID.create(1, raw.code, await sha256.digest(bytes));
    if (params.withhold?.includes(i) === true) withheld.push({ cid, bytes });
    else await node.helia.blockstore.put(cid, bytes);
    links.push({ Hash: cid, Tsize: 1 });
  }
  const root = dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: 'file', blockSizes: links.map(() => 1n) }).marshal(), Links: links }));
  const cid = CID.create(1, dagPb.code, await sha256.digest(root));
  await node.helia.blockstore.put(cid, root);
  return { cid: cid.toString(), declared: params.leaves, leaves: links.map((l) => l.Hash.toString()), withheld };
}
