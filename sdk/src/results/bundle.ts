/**
 * The result bundle: a deterministic POSIX ustar archive of regular files sorted by the
 * UTF-8 bytes of their paths (mode 0644, owner 0, mtime 0), the same bytes the provider
 * writes for a job's outputs. `packBundle` streams files from disk, `packBundleBytes` packs
 * files in memory; `extractBundle` streams
 * an archive into a directory, hashing each file as it is written.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { ByteReader, type ByteSource } from '../crypto/bytes.js';
import { throwIfAborted } from '../crypto/errors.js';
import { ActionError } from '../actions/errors.js';

const BLOCK = 512;
const MAX_TRAILING_PADDING = 64 * 1024;
const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, '0') + '\0';

function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new ActionError('INVALID_PARAMS', `path too long for a bundle: ${path.slice(0, 80)}…`, { details: { path } });
}

function checksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum;
}

/** The 512-byte ustar header of a regular file. */
export function bundleHeader(path: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { name, prefix } = splitPath(path);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  h.write(checksum(h).toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

/** A relative, `/`-separated path with no empty, `.` or `..` segment; `undefined` otherwise. */
export function safeBundlePath(path: string): string | undefined {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return undefined;
  const parts = path.split('/');
  return parts.every((p) => p !== '' && p !== '.' && p !== '..') ? path : undefined;
}

export type BundleEntry = { path: string; file: string };

/**
 * Streams a bundle of `entries` (bundle path → file on disk), one file at a time.
 *
 * @example
 * await storage.add(packBundle([{ path: 'model.json', file: '/tmp/out/model.json' }]));
 */
export async function* packBundle(entries: BundleEntry[], params: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const seen = new Set<string>();
  for (const e of sorted) {
    if (safeBundlePath(e.path) === undefined || seen.has(e.path)) throw new ActionError('INVALID_PARAMS', `bad or duplicate bundle path: ${e.path}`, { details: { path: e.path } });
    seen.add(e.path);
  }
  for (const e of sorted) {
    throwIfAborted(params.signal);
    const { size } = await stat(e.file);
    yield bundleHeader(e.path, size);
    let written = 0;
    for await (const chunk of createReadStream(e.file, { highWaterMark: 1024 * 1024, ...(params.signal ? { signal: params.signal } : {}) })) {
      written += (chunk as Buffer).byteLength;
      yield chunk as Buffer;
    }
    if (written !== size) throw new ActionError('INVALID_PARAMS', `${e.file} changed while it was read`, { details: { file: e.file } });
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(BLOCK * 2);
}

/**
 * The same bundle from files in memory (bundle path → bytes): what the provider packs a
 * job's released outputs into. Byte-identical to `packBundle` over the same files.
 *
 * @example
 * const bundle = packBundleBytes(new Map([['model.json', bytes]]));
 */
export function packBundleBytes(files: ReadonlyMap<string, Uint8Array>): Buffer {
  const parts: Buffer[] = [];
  for (const path of [...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    if (safeBundlePath(path) === undefined) throw new ActionError('INVALID_PARAMS', `bad bundle path: ${path}`, { details: { path } });
    const data = files.get(path)!;
    parts.push(bundleHeader(path, data.byteLength), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const pad = (BLOCK - (data.byteLength % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

export type ExtractedFile = { path: string; size: number; sha256: string };

const invalid = (message: string, details: Record<string, unknown> = {}) => new ActionError('RESULT_BUNDLE_INVALID', message, { details });

function parseOctal(field: Uint8Array): number {
  const text = Buffer.from(field).toString('ascii').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(text)) throw invalid('bundle header has a bad number field');
  return parseInt(text, 8);
}

function cstring(field: Uint8Array): string {
  const end = field.indexOf(0);
  return Buffer.from(end === -1 ? field : field.subarray(0, end)).toString('utf8');
}

/**
 * Extracts a bundle into `dir` (which must exist), refusing anything but regular files at
 * safe relative paths, duplicates and archives over `maxBytes` of content. Returns each
 * file's size and sha256 (hex, no `0x`) as written.
 *
 * @example
 * const files = await extractBundle({ source: decryptStream(ciphertext, { key }), dir: tmp });
 */
export async function extractBundle(params: { source: ByteSource; dir: string; maxBytes?: number; maxFiles?: number; signal?: AbortSignal }): Promise<ExtractedFile[]> {
  return walkBundle(params);
}

/**
 * Reads a bundle without writing it anywhere: each file's path, size and sha256, with the
 * same refusals as `extractBundle` (so its `listingHash` is the code hash of an algorithm bundle).
 *
 * @example
 * const files = await listBundle({ source: [tarBytes], maxBytes: 1 << 20 });
 */
export function listBundle(params: { source: ByteSource; maxBytes?: number; maxFiles?: number; signal?: AbortSignal }): Promise<ExtractedFile[]> {
  return walkBundle(params);
}

async function walkBundle(params: { source: ByteSource; dir?: string; maxBytes?: number; maxFiles?: number; signal?: AbortSignal }): Promise<ExtractedFile[]> {
  const reader = new ByteReader(params.source);
  const files: ExtractedFile[] = [];
  const seen = new Set<string>();
  const dirs = new Set<string>();
  let total = 0;
  try {
    for (;;) {
      throwIfAborted(params.signal);
      const header = await reader.read(BLOCK);
      if (header.byteLength < BLOCK) throw invalid('bundle ends without its end-of-archive blocks');
      if (header.every((b) => b === 0)) break;
      if (parseOctal(header.subarray(148, 156)) !== checksum(header)) throw invalid('bundle header checksum mismatch');
      const type = header[156];
      if (type !== 0x30 && type !== 0) throw invalid('bundle holds something other than a regular file', { type });
      const prefix = cstring(header.subarray(345, 500));
      const path = safeBundlePath((prefix === '' ? '' : prefix + '/') + cstring(header.subarray(0, 100)));
      if (path === undefined || seen.has(path)) throw invalid('bundle holds an unsafe or duplicate path');
      // A file where another entry needs a directory (`a` and `a/b`) could not be extracted.
      const parents = path.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'));
      if (dirs.has(path) || parents.some((d) => seen.has(d))) throw invalid('bundle holds a file where another entry needs a directory');
      for (const d of parents) dirs.add(d);
      seen.add(path);
      if (params.maxFiles !== undefined && seen.size > params.maxFiles) throw invalid(`bundle holds more than ${params.maxFiles} files`);
      const size = parseOctal(header.subarray(124, 136));
      total += size;
      if (params.maxBytes !== undefined && total > params.maxBytes) throw invalid(`bundle content exceeds ${params.maxBytes} bytes`);
      let fh: Awaited<ReturnType<typeof open>> | undefined;
      if (params.dir !== undefined) {
        const target = join(params.dir, ...path.split('/'));
        if (!target.startsWith(params.dir + sep)) throw invalid('bundle path escapes the directory', { path });
        await mkdir(dirname(target), { recursive: true });
        fh = await open(target, 'wx', 0o644);
      }
      const hash = createHash('sha256');
      try {
        for (let left = size; left > 0; ) {
          const part = await reader.read(Math.min(left, 1024 * 1024));
          if (part.byteLength === 0) throw invalid('bundle ends inside a file', { path });
          hash.update(part);
          await fh?.write(part);
          left -= part.byteLength;
        }
      } finally {
        await fh?.close();
      }
      const pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (pad > 0 && (await reader.read(pad)).byteLength !== pad) throw invalid('bundle ends inside padding');
      files.push({ path, size, sha256: hash.digest('hex') });
    }
    // Whatever follows the end marker must be zero padding, and not much of it (a tar
    // record is 10 KiB): an endless tail would otherwise be read to its end.
    for (let padding = 0; ; ) {
      const rest = await reader.read(64 * 1024);
      if (rest.byteLength === 0) break;
      padding += rest.byteLength;
      if (!rest.every((b) => b === 0)) throw invalid('bytes after the end of the bundle');
      if (padding > MAX_TRAILING_PADDING) throw invalid(`more than ${MAX_TRAILING_PADDING} bytes of padding after the end of the bundle`);
    }
    return files;
  } finally {
    await reader.close();
  }
}
