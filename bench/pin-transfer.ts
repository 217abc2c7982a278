import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createUnsafe } from 'multiformats/block';
import { CID } from 'multiformats/cid';
import { createStorageNode, type StorageNode } from '@cove/sdk';
import { against, type BenchRow } from './lib.js';

const MiB = 1024 * 1024;
const suite = 'dataplane';

/** `size` bytes in distinct 1 MiB pieces (a counter stamped into one random buffer). */
function* distinct(size: number): Generator<Uint8Array> {
  const base = randomBytes(MiB);
  for (let i = 0; i * MiB < size; i++) {
    base.writeUInt32BE(i, 0);
    base.writeUInt32BE(size, 4);
    yield Buffer.from(base.subarray(0, Math.min(MiB, size - i * MiB)));
  }
}

/**
 * The provider's pin as it was before issue 13, kept here as the baseline: one block at a
 * time (a bitswap round trip each), then Helia's `pins.add`, which walks and reads the DAG again.
 */
async function serialFetchAndPin(node: StorageNode, cid: string): Promise<void> {
  const { helia } = node;
  const pending = [CID.parse(cid)];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const chunks: Uint8Array[] = [];
    for await (const c of helia.blockstore.get(next)) chunks.push(c);
    const links = [...createUnsafe({ cid: next, bytes: Buffer.concat(chunks), codec: await helia.getCodec(next.code) }).links()].map(([, l]) => l);
    for (let i = links.length - 1; i >= 0; i--) pending.push(links[i]!);
  }
  for await (const _ of helia.pins.add(CID.parse(cid))) void _;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * Publisher → provider pin over loopback bitswap at each size: the serial baseline against
 * the windowed `fetch` + structure-only `pin`, each on a fresh provider node.
 */
export async function pinTransferRows(dir: string, sizes: number[]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const publisher = await createStorageNode({ directory: join(dir, 'pin-publisher'), listen: true });
  try {
    for (const size of sizes) {
      const cid = await publisher.add(distinct(size));
      const label = `${size / MiB} MiB`;
      const measure = async (name: string, fn: (node: StorageNode) => Promise<void>): Promise<BenchRow> => {
        const node = await createStorageNode({ directory: join(dir, `pin-${name}-${size}`) });
        try {
          await node.dial(publisher.multiaddrs()[0]!);
          const seconds = await timed(() => fn(node));
          return { suite, name: `pin ${label} over loopback: ${name}`, value: size / MiB / seconds, unit: 'MiB/s' };
        } finally {
          await node.stop();
        }
      };
      const serial = await measure('serial fetch + pins.add (before)', (node) => serialFetchAndPin(node, cid));
      const windowed = await measure('windowed fetch + structure pin', async (node) => {
        await node.fetch(cid, { idleTimeoutMs: 60_000 });
        await node.pin(cid);
      });
      rows.push({ ...serial, note: 'baseline' }, against(windowed, serial));
    }
  } finally {
    await publisher.stop();
  }
  return rows;
}
