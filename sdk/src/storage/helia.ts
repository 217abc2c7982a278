import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { withBitswap } from '@helia/bitswap';
import { withLibp2pLight } from '@helia/libp2p';
import { unixfs } from '@helia/unixfs';
import { identify } from '@libp2p/identify';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { FsBlockstore } from 'blockstore-fs';
import { FsDatastore } from 'datastore-fs';
import { createHeliaLight, type Helia } from 'helia';
import type { CID } from 'multiformats/cid';
import { join } from 'node:path';
import { DataPlaneError, abortedError, throwIfAborted } from '../crypto/errors.js';
import type { ByteSource } from '../crypto/bytes.js';
import { catWithIdleTimeout, parseCid, storageError, type CatSource, type CidInput } from './cat.js';
import { fetchDag, type FetchParameters, type FetchResult } from './fetch.js';
import { walkFile } from './walk.js';
import { structureWalker } from './pin.js';

/** The import settings' leaf size (`unixfs-v1-2025`: 1 MiB raw leaves) and links per inner node. */
export const UNIXFS_CHUNK_BYTES = 1024 * 1024;
export const UNIXFS_LINKS_PER_NODE = 1024;

/**
 * An upper bound on the bytes of the inner (dag-pb) nodes of a file of `fileBytes` imported
 * with these settings: at most 80 bytes per link (a 36-byte CIDv1, its Tsize, the protobuf
 * framing and the blockSizes entry: about 55 measured) and 64 per node.
 */
export function unixfsOverheadBound(fileBytes: number): number {
  let overhead = 0;
  for (let width = Math.max(1, Math.ceil(fileBytes / UNIXFS_CHUNK_BYTES)); width > 1; ) {
    const nodes = Math.ceil(width / UNIXFS_LINKS_PER_NODE);
    overhead += width * 80 + nodes * 64;
    width = nodes;
  }
  return overhead;
}

/**
 * Blocks a `cat` reads ahead of the consumer ({@link walkFile}): memory stays near this many
 * blocks (16 MiB with 1 MiB blocks) however large the file, and blockstore reads overlap.
 */
export const CAT_READ_AHEAD_BLOCKS = 16;

/** Default longest wait for the next block of a `cat`. */
export const DEFAULT_CAT_TIMEOUT_MS = 30_000;

export type StorageProgress = { bytes: number };

export type CreateStorageNodeParameters = {
  /** Directory holding `blocks/` and `datastore/`; content and the peer id survive restarts. */
  directory: string;
  /** `true` listens on TCP 127.0.0.1, port 0; a list gives explicit multiaddrs. Default: no listener. */
  listen?: boolean | string[];
  signal?: AbortSignal;
};

export type AddParameters = { signal?: AbortSignal; onProgress?: (p: StorageProgress) => void };
export type CatParameters = {
  signal?: AbortSignal;
  /** Longest wait for the next block, local or remote (`CID_NOT_FOUND` after it). Default 30 s. */
  timeoutMs?: number;
  onProgress?: (p: StorageProgress) => void;
};

/** An embedded IPFS node: content-addressed, on disk, offline unless told to dial. */
export type StorageNode = {
  /** The libp2p peer id, as text. */
  peerId: string;
  /** Imports bytes as a UnixFS file (CIDv1, raw 1 MiB leaves) and returns its CID. */
  add(source: ByteSource, params?: AddParameters): Promise<string>;
  /** Streams a UnixFS file's bytes, from disk or from connected peers. */
  cat(cid: CidInput, params?: CatParameters): AsyncGenerator<Uint8Array>;
  /**
   * The size a UnixFS root declares, reading only that block: a raw block's length, a
   * file's `fileSize`. A directory declares 0 (its entries are not read). `STORAGE_NOT_UNIXFS`
   * for other codecs. Declared, not verified: `fetch` with `maxBytes` counts real bytes.
   */
  stat(cid: CidInput, params?: { signal?: AbortSignal }): Promise<{ bytes: number }>;
  /**
   * Reads the whole DAG into the blockstore without pinning it, `window` blocks in flight,
   * counting the bytes of its blocks; over `maxBytes` it stops with `STORAGE_TOO_LARGE` and
   * deletes what it fetched. No block for `idleTimeoutMs` is `CID_NOT_FOUND`; what arrived
   * before an idle timeout or an abort is kept, so the next fetch resumes (see `fetchDag`).
   */
  fetch(cid: CidInput, params?: FetchParameters): Promise<FetchResult>;
  /**
   * Pins a DAG (fetching missing blocks) so garbage collection keeps it. After a `fetch` it
   * reads only the DAG's inner nodes: raw leaves are recorded by CID (see `structureWalker`).
   */
  pin(cid: CidInput, params?: { signal?: AbortSignal }): Promise<void>;
  unpin(cid: CidInput, params?: { signal?: AbortSignal }): Promise<void>;
  /** True when the root block is stored locally (no network lookup). */
  has(cid: CidInput): Promise<boolean>;
  /** The bytes of one locally stored block (no network lookup); undefined when it is not here. */
  block(cid: CidInput): Promise<Uint8Array | undefined>;
  /** Addresses other nodes can `dial`, each ending in /p2p/<peerId>; empty when not listening. */
  multiaddrs(): string[];
  /** Connects to a peer so blocks can be exchanged with it (bitswap). */
  dial(address: string, params?: { signal?: AbortSignal }): Promise<void>;
  stop(): Promise<void>;
  /** The underlying Helia node, for advanced use. */
  helia: Helia;
};

/**
 * The datastore, ignoring writes once `stopped` is set: libp2p's address manager updates
 * the self peer record on a 1 s debounce that `stop()` does not cancel, and that late write
 * would recreate a directory the caller has already removed.
 */
function writesUntil(datastore: FsDatastore, stopped: { value: boolean }): FsDatastore {
  const writes = new Set<PropertyKey>(['put', 'delete', 'batch', 'putMany', 'deleteMany']);
  return new Proxy(datastore, {
    get(target, prop) {
      if (stopped.value && writes.has(prop)) {
        if (prop === 'batch') return () => ({ put: () => undefined, delete: () => undefined, commit: async () => undefined });
        if (prop === 'putMany' || prop === 'deleteMany') return async function* () {};
        return async () => undefined;
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function listenAddresses(listen: CreateStorageNodeParameters['listen']): string[] {
  if (listen === true) return ['/ip4/127.0.0.1/tcp/0'];
  return Array.isArray(listen) ? listen : [];
}

/**
 * Starts an embedded IPFS node on `directory`. Its libp2p stack is only TCP + noise +
 * yamux + identify + bitswap: no bootstrap, DHT, mDNS, relay, websockets or webrtc, so it
 * talks to no one unless `dial` is called (or a peer dials its listener).
 *
 * @example
 * const node = await createStorageNode({ directory: '/var/lib/cove/ipfs', listen: true });
 * const cid = await node.add(encryptStream(createReadStream('data.csv'), { key }));
 * for await (const bytes of node.cat(cid, { timeoutMs: 10_000 })) process.stdout.write(bytes);
 * await node.stop();
 */
export async function createStorageNode(params: CreateStorageNodeParameters): Promise<StorageNode> {
  const { directory, signal } = params;
  throwIfAborted(signal);
  const blockstore = new FsBlockstore(join(directory, 'blocks'));
  const datastore = new FsDatastore(join(directory, 'datastore'));
  await blockstore.open();
  await datastore.open();
  const stopped = { value: false };
  const base = createHeliaLight({ blockstore, datastore: writesUntil(datastore, stopped) });
  const helia = withBitswap(
    withLibp2pLight(base, {
      addresses: { listen: listenAddresses(params.listen) },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      // larger windows let 1 MiB blocks flow without stalling on window updates
      streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: 16 * 1024 * 1024 } })],
      services: { identify: identify() },
    }),
  );
  const close = async () => {
    await helia.stop().catch(() => undefined);
    stopped.value = true;
    await blockstore.close();
    await datastore.close();
  };
  try {
    await helia.start();
  } catch (cause) {
    await close();
    throw storageError('STORAGE_FAILED', `cannot start the storage node in ${directory}`, cause);
  }
  if (signal?.aborted === true) {
    await close();
    throw abortedError(signal);
  }
  const fs = unixfs(helia);

  return {
    helia,
    peerId: helia.libp2p.peerId.toString(),

    async add(source, { signal, onProgress } = {}) {
      throwIfAborted(signal);
      let bytes = 0;
      const counted = (async function* () {
        for await (const piece of source) {
          throwIfAborted(signal);
          bytes += piece.byteLength;
          onProgress?.({ bytes });
          yield piece;
        }
      })();
      try {
        const cid = await fs.addByteStream(counted, { profile: 'unixfs-v1-2025', signal });
        return cid.toString();
      } catch (cause) {
        if (signal?.aborted === true) throw abortedError(signal);
        if (cause instanceof DataPlaneError) throw cause;
        throw storageError('STORAGE_FAILED', 'adding content failed', cause);
      }
    },

    cat(cid, { signal, timeoutMs = DEFAULT_CAT_TIMEOUT_MS, onProgress } = {}) {
      const root = parseCid(cid);
      const source: CatSource = (o) => walkFile({ helia, cid: root, window: CAT_READ_AHEAD_BLOCKS, ...o });
      return catWithIdleTimeout({ source, cid: root, signal, timeoutMs, onProgress });
    },

    async stat(cid, { signal } = {}) {
      const parsed = parseCid(cid);
      try {
        const stats = await fs.stat(parsed, signal ? { signal } : {});
        return { bytes: Number(stats.size) };
      } catch (cause) {
        if (signal?.aborted === true) throw abortedError(signal);
        if ((cause as Error).name === 'NotUnixFSError') throw storageError('STORAGE_NOT_UNIXFS', `${parsed} is not a UnixFS file or directory`, cause);
        throw storageError('STORAGE_FAILED', `reading the size of ${parsed} failed`, cause);
      }
    },

    fetch(cid, params = {}) {
      // Helia's own delete asks the (absent) content routers to stop providing, and fails
      const removeUnpinned = async (block: CID) => {
        if (!(await helia.pins.isPinned(block))) await blockstore.delete(block);
      };
      return fetchDag({ helia, cid: parseCid(cid), removeUnpinned, ...params });
    },

    async pin(cid, { signal } = {}) {
      const parsed = parseCid(cid);
      try {
        if (await helia.pins.isPinned(parsed, { signal })) return;
        for await (const _ of helia.pins.add(parsed, { signal, walker: structureWalker(helia) })) void _;
      } catch (cause) {
        if (signal?.aborted === true) throw abortedError(signal);
        throw storageError('STORAGE_FAILED', `pinning ${parsed} failed`, cause);
      }
    },

    async unpin(cid, { signal } = {}) {
      const parsed = parseCid(cid);
      try {
        if (!(await helia.pins.isPinned(parsed, { signal }))) return;
        for await (const _ of helia.pins.rm(parsed, { signal })) void _;
      } catch (cause) {
        if (signal?.aborted === true) throw abortedError(signal);
        throw storageError('STORAGE_FAILED', `unpinning ${parsed} failed`, cause);
      }
    },

    async has(cid) {
      return blockstore.has(parseCid(cid));
    },

    async block(cid) {
      const c = parseCid(cid);
      if (!(await blockstore.has(c))) return undefined;
      const chunks: Uint8Array[] = [];
      for await (const chunk of blockstore.get(c)) chunks.push(chunk);
      return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    },

    multiaddrs() {
      return helia.libp2p.getMultiaddrs().map((ma) => ma.toString());
    },

    async dial(address, { signal } = {}) {
      throwIfAborted(signal);
      let ma;
      try {
        ma = multiaddr(address);
      } catch (cause) {
        throw storageError('STORAGE_DIAL_FAILED', `not a multiaddr: ${address}`, cause);
      }
      try {
        await helia.libp2p.dial(ma, { signal });
      } catch (cause) {
        if (signal?.aborted === true) throw abortedError(signal);
        throw storageError('STORAGE_DIAL_FAILED', `cannot dial ${address}`, cause);
      }
    },

    stop: close,
  };
}
