import type { Helia } from 'helia';
import type { CID } from 'multiformats/cid';
import { DataPlaneError } from '../crypto/errors.js';
import { readBlock } from './fetch.js';

const RAW_CODEC = 0x55;
const DAG_PB_CODEC = 0x70;
/** UnixFS `Data.Type` values that hold file bytes: Raw and File. */
const FILE_TYPES = new Set([0, 2]);

type PbNode = { Data?: Uint8Array; Links: Array<{ Hash: CID }> };
type UnixfsData = { type: number; data: Uint8Array | undefined; fileSize: bigint | undefined };

/** Reads one protobuf varint at `pos`; returns the value and the next position. */
function varint(bytes: Uint8Array, pos: number): [bigint, number] {
  let value = 0n;
  for (let shift = 0n; pos < bytes.length && shift < 70n; shift += 7n) {
    const b = bytes[pos++]!;
    value |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [value, pos];
  }
  throw new DataPlaneError('STORAGE_NOT_UNIXFS', 'malformed UnixFS data (varint)');
}

/**
 * The fields of a UnixFS `Data` message a file read needs (type 1, data 2, filesize 3);
 * the others are skipped by wire type. Written here so the SDK needs no protobuf runtime.
 */
export function decodeUnixfsData(bytes: Uint8Array): UnixfsData {
  const out: UnixfsData = { type: -1, data: undefined, fileSize: undefined };
  let pos = 0;
  while (pos < bytes.length) {
    let tag: bigint;
    [tag, pos] = varint(bytes, pos);
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      let v: bigint;
      [v, pos] = varint(bytes, pos);
      if (field === 1) out.type = Number(v);
      if (field === 3) out.fileSize = v;
    } else if (wire === 2) {
      let len: bigint;
      [len, pos] = varint(bytes, pos);
      const end = pos + Number(len);
      if (end > bytes.length) throw new DataPlaneError('STORAGE_NOT_UNIXFS', 'malformed UnixFS data (length)');
      if (field === 2) out.data = bytes.subarray(pos, end);
      pos = end;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new DataPlaneError('STORAGE_NOT_UNIXFS', `malformed UnixFS data (wire type ${wire})`);
  }
  if (pos !== bytes.length) throw new DataPlaneError('STORAGE_NOT_UNIXFS', 'malformed UnixFS data (truncated)');
  return out;
}

type Entry = { cid: CID; block?: Promise<Uint8Array> };

export type WalkFileParameters = {
  helia: Pick<Helia, 'blockstore' | 'getCodec'>;
  cid: CID;
  signal: AbortSignal;
  /** Blocks read ahead of the one being yielded. Memory is about `window` blocks, whatever the file's size. */
  window: number;
  /** Called as each block arrives (local or fetched). */
  onBlock?: () => void;
};

/**
 * The bytes of a UnixFS file (raw leaves or dag-pb, any depth) in file order. It walks the
 * DAG depth first itself, keeping the next `window` blocks of the walk in flight, and reads
 * further only as the consumer pulls: unlike the UnixFS exporter's walk, which queues every
 * block it reads however slowly they are consumed, memory stays near `window` blocks plus one
 * node's links per level. A file whose leaves sum to other than its declared size fails with
 * `STORAGE_FAILED` (after the bytes read, so a consumer must discard them on error).
 */
export async function* walkFile({ helia, cid, signal, window, onBlock }: WalkFileParameters): AsyncGenerator<Uint8Array> {
  const ahead = Math.max(1, Math.floor(window));
  const stop = new AbortController();
  const combined = AbortSignal.any([signal, stop.signal]);
  // a stack: the next entry in file order is the last one
  const stack: Entry[] = [{ cid }];
  const start = (e: Entry) => {
    if (e.block !== undefined) return;
    e.block = readBlock(helia as Helia, e.cid, combined).then((b) => {
      onBlock?.();
      return b;
    });
    e.block.catch(() => undefined); // awaited in turn; a read never awaited must not go unhandled
  };
  let declared: bigint | undefined;
  let yielded = 0n;
  try {
    while (stack.length > 0) {
      for (let i = stack.length - 1; i >= Math.max(0, stack.length - ahead); i--) start(stack[i]!);
      const entry = stack.pop()!;
      const block = await entry.block!;
      const code = entry.cid.code;
      if (code === RAW_CODEC) {
        yielded += BigInt(block.byteLength);
        yield block;
        continue;
      }
      if (code !== DAG_PB_CODEC) throw new DataPlaneError('STORAGE_NOT_UNIXFS', `${entry.cid} is neither raw nor dag-pb`, { details: { cid: entry.cid.toString() } });
      const node = (await helia.getCodec(code)).decode(block) as PbNode;
      const unixfs = decodeUnixfsData(node.Data ?? new Uint8Array());
      if (!FILE_TYPES.has(unixfs.type)) throw new DataPlaneError('STORAGE_NOT_UNIXFS', `${entry.cid} is not a UnixFS file`, { details: { cid: entry.cid.toString(), type: unixfs.type } });
      if (declared === undefined) declared = unixfs.fileSize ?? 0n;
      if (unixfs.data !== undefined && unixfs.data.byteLength > 0) {
        yielded += BigInt(unixfs.data.byteLength);
        yield unixfs.data;
      }
      for (let i = node.Links.length - 1; i >= 0; i--) stack.push({ cid: node.Links[i]!.Hash });
    }
  } finally {
    stop.abort(new Error('walk ended'));
  }
  if (declared !== undefined && declared !== yielded) {
    throw new DataPlaneError('STORAGE_FAILED', `${cid} declares ${declared} bytes but its blocks hold ${yielded}`, { details: { cid: cid.toString(), declared: declared.toString(), read: yielded.toString() } });
  }
}
