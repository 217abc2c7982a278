/** DAG builders for the provider's storage tests only. */
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { randomBytes } from 'node:crypto';
import type { StorageNode } from '@cove/sdk';

/**
 * Stores on `node` a UnixFS file root over `leaves` random raw blocks of `leafBytes` each,
 * whose root declares a file size of one byte per leaf: a publisher lying about its size.
 */
export async function underDeclaredFile(node: StorageNode, params: { leaves: number; leafBytes: number }): Promise<{ cid: string; declared: number; leaves: string[] }> {
  const links: dagPb.PBLink[] = [];
  for (let i = 0; i < params.leaves; i++) {
    const bytes = randomBytes(params.leafBytes);
    const cid = CID.create(1, raw.code, await sha256.digest(bytes));
    await node.helia.blockstore.put(cid, bytes);
    links.push({ Hash: cid, Tsize: 1 });
  }
  const root = dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: 'file', blockSizes: links.map(() => 1n) }).marshal(), Links: links }));
  const cid = CID.create(1, dagPb.code, await sha256.digest(root));
  await node.helia.blockstore.put(cid, root);
  return { cid: cid.toString(), declared: params.leaves, leaves: links.map((l) => l.Hash.toString()) };
}
