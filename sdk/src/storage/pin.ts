import type { Helia } from 'helia';
import type { BlockView } from 'multiformats';
import { createUnsafe } from 'multiformats/block';
import type { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { readBlock } from './fetch.js';

type GraphWalkerFactory = NonNullable<NonNullable<Parameters<Helia['pins']['add']>[1]>['walker']>;
/** What Helia's walkers yield (`@helia/interface`'s GraphNode). */
type GraphNode<T> = { block: BlockView<T, number, number, 0 | 1>; depth: number; path: CID[] };

/**
 * A graph walker for `helia.pins.add` that reads only the blocks that can hold links. A raw
 * leaf (the 1 MiB data blocks: all but about one block in a thousand) has none, so the
 * walker checks that it is stored and yields its CID without reading its bytes; Helia's pin
 * only records the CIDs it is given. After a `fetch`, pinning therefore reads the DAG's
 * inner nodes from disk and writes the pin records, instead of walking all the data again.
 * A leaf that is missing is still fetched (through the networked blockstore), so the result
 * is the same as Helia's own walker: every block of the DAG is stored and pinned.
 */
export function structureWalker(helia: Helia): GraphWalkerFactory {
  return () => ({
    async *walk<T>(root: CID, options: { signal?: AbortSignal } = {}): AsyncGenerator<GraphNode<T>> {
      const stack: { cid: CID; depth: number; path: CID[] }[] = [{ cid: root, depth: 0, path: [root] }];
      for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
        options.signal?.throwIfAborted();
        const { cid, depth, path } = next;
        if (cid.code === raw.code && (await helia.blockstore.has(cid))) {
          yield { block: { cid } as GraphNode<T>['block'], depth, path };
          continue;
        }
        const bytes = await readBlock(helia, cid, options.signal);
        const block = createUnsafe({ cid, bytes, codec: await helia.getCodec(cid.code) });
        const links = [...block.links()].map(([, link]) => link);
        for (let i = links.length - 1; i >= 0; i--) stack.push({ cid: links[i]!, depth: depth + 1, path: [...path, links[i]!] });
        yield { block: block as unknown as GraphNode<T>['block'], depth, path };
      }
    },
  });
}
