import { throwIfAborted } from './errors.js';

/** Anything the data plane reads bytes from: Node readables, generators, arrays of chunks. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * Re-cuts `source` into blocks of exactly `size` bytes (the last one shorter, never empty).
 * With `reuse = 0` each block is a fresh buffer the caller owns; with `reuse = n` the
 * blocks cycle through `n` buffers, so the caller must be done with a block `n` yields later
 * (saves an allocation per block on hot paths).
 */
export async function* rechunk(source: ByteSource, size: number, signal?: AbortSignal, reuse = 0): AsyncGenerator<Uint8Array> {
  const ring = Array.from({ length: reuse }, () => Buffer.allocUnsafe(size));
  let turn = 0;
  const next = () => (reuse === 0 ? Buffer.allocUnsafe(size) : ring[turn++ % reuse]!);
  let block = next();
  let filled = 0;
  for await (const piece of source) {
    throwIfAborted(signal);
    let offset = 0;
    while (offset < piece.byteLength) {
      const n = Math.min(size - filled, piece.byteLength - offset);
      block.set(piece.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === size) {
        yield block;
        block = next();
        filled = 0;
      }
    }
  }
  throwIfAborted(signal);
  if (filled > 0) yield block.subarray(0, filled);
}

/** Pull-based reader of exact byte counts over an async iterable of chunks. */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private done = false;

  constructor(source: ByteSource) {
    this.iterator =
      Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (source as Iterable<Uint8Array>)[Symbol.iterator]();
  }

  /** Reads `n` bytes; returns fewer only when the source ends first. */
  async read(n: number): Promise<Uint8Array> {
    while (this.queued < n && !this.done) await this.pull();
    if (this.queue.length === 0) return new Uint8Array(0);
    const head = this.queue[0]!;
    if (head.byteLength >= n) {
      // fast path: no copy when the source already delivers whole pieces
      this.queue[0] = head.subarray(n);
      if (this.queue[0].byteLength === 0) this.queue.shift();
      this.queued -= n;
      return head.subarray(0, n);
    }
    const take = Math.min(n, this.queued);
    const out = Buffer.allocUnsafe(take);
    let filled = 0;
    while (filled < take) {
      const first = this.queue[0]!;
      const m = Math.min(first.byteLength, take - filled);
      out.set(first.subarray(0, m), filled);
      filled += m;
      if (m === first.byteLength) this.queue.shift();
      else this.queue[0] = first.subarray(m);
    }
    this.queued -= take;
    return out;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    while (this.queued === 0 && !this.done) await this.pull();
    return this.queued === 0;
  }

  /** Stops the underlying source (closes files, sockets). */
  async close(): Promise<void> {
    this.done = true;
    await this.iterator.return?.();
  }

  private async pull(): Promise<void> {
    const next = await this.iterator.next();
    if (next.done === true) {
      this.done = true;
      return;
    }
    if (next.value.byteLength > 0) {
      this.queue.push(next.value);
      this.queued += next.value.byteLength;
    }
  }
}
