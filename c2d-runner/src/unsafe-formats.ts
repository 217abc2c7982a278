import { constants, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { isPickle } from './pickle.js';

/**
 * Unsafe model formats, found by content (never by the output file's name): formats whose
 * standard loaders run code chosen by whoever wrote the file. A job's outputs are chosen by
 * its algorithm, which may be hostile; a buyer who `pickle.load`s, `joblib.load`s,
 * `torch.load`s or `np.load(allow_pickle=True)`s them runs that code.
 *
 * - `pickle`: a pickle of any protocol at the start of the file (protocol 2+ opens with PROTO
 *   `0x80 <proto>`; protocols 0 and 1 are recognised by walking the opcodes with their
 *   argument formats and stack effects, as pickletools does). A pickle after a prefix is not
 *   a pickle file and is not chased.
 * - `compressed pickle`: gzip or zlib (joblib's `compress`) whose decompressed head is one.
 * - `pickle in a zip archive`: a ZIP (PyTorch `.pt`/`.pth` hold `…/data.pkl`; `.npz` holds
 *   `.npy`) with an entry named `*.pkl`/`*.pickle`/`*.joblib` or whose head is unsafe.
 * - `numpy object array`: an `.npy` whose dtype holds objects (`|O`): loading it unpickles.
 * - `uninspectable archive` / `uninspectable compressed data`: a container whose entries cannot
 *   be inspected within the bounds below (too many entries, an unsupported or encrypted
 *   method, a broken directory, a decompression bomb, or xz/bzip2/lz4/zstd, which joblib
 *   loads by their magic bytes and Node cannot decompress here): refused, fail closed.
 *
 * Bounds: at most {@link MAX_ZIP_ENTRIES} entries are read, each decompressed to a head of at
 * most 64 KiB (256 KiB for a gzip/zlib file), all decompression together at most
 * {@link MAX_INFLATE_WORK} bytes of output; containers nest at most two deep.
 */
export type UnsafeFormat =
  | 'pickle'
  | 'compressed pickle'
  | 'pickle in a zip archive'
  | 'numpy object array'
  | 'compressed numpy object array'
  | 'numpy object array in a zip archive'
  | 'uninspectable archive'
  | 'uninspectable compressed data';

export const MAX_ZIP_ENTRIES = 4096;
export const MAX_INFLATE_WORK = 128 * 1024 * 1024;
const FILE_HEAD = 256 * 1024;
const ENTRY_HEAD = 64 * 1024;
const MIN_HEAD = 4096;
const MAX_NESTING = 2;

type Budget = { work: number };
class Uninspectable extends Error {
  constructor(readonly label: 'uninspectable archive' | 'uninspectable compressed data') {
    super(label);
  }
}

/**
 * The unsafe format `data` is in, or `null`. Synchronous, bounded work; never throws on hostile bytes.
 *
 * @example
 * unsafeFormatOf(Buffer.from([0x80, 0x04, 0x4e, 0x2e])) // 'pickle'
 * unsafeFormatOf(Buffer.from('{"w":[1,2]}')) // null
 */
export function unsafeFormatOf(data: Uint8Array): UnsafeFormat | null {
  const budget: Budget = { work: 0 };
  try {
    return sniff(data, true, 0, budget);
  } catch (err) {
    if (err instanceof Uninspectable) return err.label;
    throw err;
  }
}

const startsWith = (d: Uint8Array, sig: readonly number[]) => d.length >= sig.length && sig.every((b, i) => d[i] === b);

function sniff(d: Uint8Array, complete: boolean, depth: number, budget: Budget): UnsafeFormat | null {
  if (d.length === 0) return null;
  if (depth < MAX_NESTING) {
    if (startsWith(d, [0x50, 0x4b, 0x03, 0x04]) || startsWith(d, [0x50, 0x4b, 0x05, 0x06])) {
      // A zip by its magic (what torch.load and np.load test); its directory is at the end.
      if (!complete) return 'uninspectable archive';
      return inZip(scanZip(d, budget, true, depth));
    }
    if (startsWith(d, [0x1f, 0x8b])) return compressed(inflateHead(gunzipSync, d, FILE_HEAD, budget), depth, budget);
    if (isZlibHeader(d)) {
      const head = inflateHead(inflateSync, d, FILE_HEAD, budget, true);
      if (head !== null) return compressed(head, depth, budget);
    }
    if (
      startsWith(d, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) || // xz
      (startsWith(d, [0x42, 0x5a, 0x68]) && d[3]! >= 0x31 && d[3]! <= 0x39 && startsWith(d.subarray(4), [0x31, 0x41, 0x59, 0x26, 0x53, 0x59])) || // bzip2
      startsWith(d, [0x04, 0x22, 0x4d, 0x18]) || // lz4 frame
      startsWith(d, [0x28, 0xb5, 0x2f, 0xfd]) // zstd
    ) {
      return 'uninspectable compressed data';
    }
  }
  if (startsWith(d, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) return npyHoldsObjects(d) ? 'numpy object array' : null;
  if (isPickle(d, complete)) return 'pickle';
  if (depth === 0 && complete) {
    // A zip after a prefix (Python's zipfile accepts one): only when its directory parses.
    const z = scanZip(d, budget, false, depth);
    if (z !== null) return inZip(z);
  }
  return null;
}

function inZip(inner: UnsafeFormat | null): UnsafeFormat | null {
  if (inner === null) return null;
  if (inner === 'numpy object array') return 'numpy object array in a zip archive';
  if (inner.startsWith('uninspectable')) return 'uninspectable archive';
  return 'pickle in a zip archive';
}

function compressed(head: { data: Buffer; complete: boolean } | null, depth: number, budget: Budget): UnsafeFormat | null {
  if (head === null) return null;
  const inner = sniff(head.data, head.complete, depth + 1, budget);
  if (inner === null) return null;
  if (inner === 'pickle') return 'compressed pickle';
  if (inner === 'numpy object array') return 'compressed numpy object array';
  if (inner.startsWith('uninspectable')) return 'uninspectable compressed data';
  return inner; // a zip inside gzip: already named
}

function isZlibHeader(d: Uint8Array): boolean {
  return d.length >= 2 && (d[0]! & 0x0f) === 8 && d[0]! >> 4 <= 7 && ((d[0]! << 8) | d[1]!) % 31 === 0 && (d[1]! & 0x20) === 0;
}

type Inflate = (b: Uint8Array, o: { finishFlush: number; maxOutputLength: number }) => Buffer;

/**
 * The decompressed head of `input` (at most `cap` bytes), `complete` when that is all of it.
 * A bomb (more than `cap` from a slice) or corrupt tail is handled by decompressing shorter
 * input prefixes (sync-flushed, so a prefix yields what it holds) until one fits; the search
 * stops at a head of MIN_HEAD bytes or the exact boundary. `null`: not this compression at
 * all (nothing decompresses), unless `quiet` is false and a bomb hid every byte (uninspectable).
 */
function inflateHead(fn: Inflate, input: Uint8Array, cap: number, budget: Budget, quiet = false): { data: Buffer; complete: boolean } | null {
  let sawBig = false;
  const attempt = (n: number): Buffer | null => {
    if (budget.work > MAX_INFLATE_WORK) throw new Uninspectable('uninspectable compressed data');
    try {
      const out = fn(input.subarray(0, n), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: cap });
      budget.work += out.length + n;
      return out;
    } catch (err) {
      budget.work += cap;
      if (err instanceof RangeError) sawBig = true;
      return null;
    }
  };
  const n0 = Math.min(input.length, cap === FILE_HEAD ? 16 * 1024 : 4 * 1024);
  const first = attempt(n0);
  if (first !== null) return { data: first, complete: n0 === input.length };
  let hi = n0;
  let lo = 0;
  let best: Buffer = Buffer.alloc(0);
  for (let n = hi >> 1; n > 0; n >>= 1) {
    const r = attempt(n);
    if (r !== null) {
      lo = n;
      best = r;
      break;
    }
    hi = n;
  }
  while (best.length < MIN_HEAD && hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const r = attempt(mid);
    if (r !== null) {
      lo = mid;
      best = r;
    } else hi = mid;
  }
  if (best.length > 0) return { data: best, complete: false };
  if (sawBig && !quiet) throw new Uninspectable('uninspectable compressed data');
  return null;
}

/** NumPy `.npy` (format 1: 2-byte header length; 2 and 3: 4-byte) whose `descr` names an object field (`O`). */
function npyHoldsObjects(d: Uint8Array): boolean {
  if (d.length < 10) return false;
  const major = d[6]!;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const start = major === 1 ? 10 : 12;
  if (d.length < start) return false;
  const len = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const header = Buffer.from(d.subarray(start, Math.min(d.length, start + len, start + 1024 * 1024))).toString('latin1');
  // '|O', '<O', 'O8', also inside structured dtypes ([('a', '|O'), …]).
  return /['"][<>|=]?O\d*['"]/.test(header);
}

// ---------------------------------------------------------------- ZIP

/**
 * The first unsafe entry of a zip, read through its central directory: entry names, then
 * each stored or deflated entry's head. `null` with `strict` false when no valid directory is
 * found (not a zip); with `strict` (the file opens with a zip magic) a directory that cannot
 * be read within the bounds is 'uninspectable archive'.
 */
function scanZip(d: Uint8Array, budget: Budget, strict: boolean, depth: number): UnsafeFormat | null {
  const bad = (): null => {
    if (strict) throw new Uninspectable('uninspectable archive');
    return null;
  };
  if (d.length < 22) return bad();
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const u16 = (p: number) => view.getUint16(p, true);
  const u32 = (p: number) => view.getUint32(p, true);
  const u64 = (p: number) => {
    const v = view.getBigUint64(p, true);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
  };
  let eocd = -1;
  for (let p = d.length - 22; p >= Math.max(0, d.length - 22 - 0xffff); p--) {
    if (d[p] === 0x50 && d[p + 1] === 0x4b && d[p + 2] === 0x05 && d[p + 3] === 0x06) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) return bad();
  let entries = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  let dirEnd = eocd;
  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== 0x07064b50) return bad();
    const z = u64(loc + 8);
    if (z < 0 || z + 56 > d.length || u32(z) !== 0x06064b50) return bad();
    entries = u64(z + 32);
    cdSize = u64(z + 40);
    cdOffset = u64(z + 48);
    dirEnd = z;
  }
  if (entries < 0 || cdSize < 0 || cdOffset < 0) return bad();
  const base = dirEnd - cdSize - cdOffset; // bytes before the archive (a prefix), as zipfile computes it
  if (base < 0 || (!strict && entries === 0)) return bad();
  if (entries > MAX_ZIP_ENTRIES) throw new Uninspectable('uninspectable archive');
  const cdStart = base + cdOffset;
  let p = cdStart;
  const found: Array<{ name: string; method: number; flags: number; csize: number; local: number }> = [];
  for (let i = 0; i < entries; i++) {
    if (p + 46 > dirEnd || u32(p) !== 0x02014b50) return bad();
    const flags = u16(p + 8);
    const method = u16(p + 10);
    let csize = u32(p + 20);
    const usize = u32(p + 24);
    const nlen = u16(p + 28);
    const xlen = u16(p + 30);
    const clen = u16(p + 32);
    let local = u32(p + 42);
    if (p + 46 + nlen + xlen + clen > dirEnd) return bad();
    const name = Buffer.from(d.subarray(p + 46, p + 46 + nlen)).toString('utf8');
    // Zip64 sizes and offset, in this order, for the fields that say 0xffffffff.
    for (let x = p + 46 + nlen; x + 4 <= p + 46 + nlen + xlen; ) {
      const id = u16(x);
      const size = u16(x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        const next = () => {
          if (q + 8 > x + 4 + size) return -1;
          const v = u64(q);
          q += 8;
          return v;
        };
        if (usize === 0xffffffff) next();
        if (csize === 0xffffffff) csize = next();
        if (local === 0xffffffff) local = next();
      }
      x += 4 + size;
    }
    if (csize < 0 || local < 0) return bad();
    found.push({ name, method, flags, csize, local: base + local });
    p += 46 + nlen + xlen + clen;
  }
  // Names first: the format's own convention (torch's `archive/data.pkl`).
  if (found.some((e) => /\.(pkl|pickle|joblib)$/i.test(e.name))) return 'pickle';
  for (const e of found) {
    if (e.name.endsWith('/') && e.csize === 0) continue;
    if (e.csize === 0) continue;
    const l = e.local;
    if (l < 0 || l + 30 > d.length || u32(l) !== 0x04034b50) return bad();
    const start = l + 30 + u16(l + 26) + u16(l + 28);
    if (start + e.csize > d.length) return bad();
    if ((e.flags & 1) !== 0) throw new Uninspectable('uninspectable archive'); // encrypted
    const raw = d.subarray(start, start + e.csize);
    let head: { data: Uint8Array; complete: boolean };
    if (e.method === 0) {
      head = { data: raw.subarray(0, ENTRY_HEAD), complete: raw.length <= ENTRY_HEAD };
      budget.work += head.data.length;
    } else if (e.method === 8) {
      const h = inflateHead(inflateRawSync, raw, ENTRY_HEAD, budget);
      if (h === null) throw new Uninspectable('uninspectable archive');
      head = h;
    } else throw new Uninspectable('uninspectable archive'); // bzip2, lzma, zstd…: not read here
    if (budget.work > MAX_INFLATE_WORK) throw new Uninspectable('uninspectable archive');
    let inner: UnsafeFormat | null;
    try {
      inner = sniff(head.data, head.complete, depth + 1, budget);
    } catch (err) {
      if (err instanceof Uninspectable) throw new Uninspectable('uninspectable archive');
      throw err;
    }
    if (inner !== null) return inner;
  }
  return null;
}
