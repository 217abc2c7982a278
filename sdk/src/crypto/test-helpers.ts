import { createHash } from 'node:crypto';

/** Deterministic pseudo-random bytes, `size` in total, yielded in `piece`-byte slices (test data). */
export async function* patternSource(size: number, piece = 64 * 1024, seed = 1): AsyncGenerator<Uint8Array> {
  let state = seed >>> 0 || 1;
  for (let done = 0; done < size; ) {
    const n = Math.min(piece, size - done);
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i + 4 <= n; i += 4) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      out.writeUInt32LE(state >>> 0, i);
    }
    for (let i = n - (n % 4); i < n; i++) out[i] = i & 0xff;
    done += n;
    yield out;
  }
}

/** Drains an async iterable into one buffer (small inputs only). */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return Buffer.concat(parts);
}

/** Drains an async iterable, returning its sha256 (0x hex) and byte count without keeping it. */
export async function digest(source: AsyncIterable<Uint8Array>): Promise<{ hash: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const p of source) {
    h.update(p);
    bytes += p.byteLength;
  }
  return { hash: `0x${h.digest('hex')}`, bytes };
}

/** Resolves to the `code` of the error `promise` rejects with (fails if it resolves). */
export async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return String((err as { code?: unknown }).code);
  }
  throw new Error('expected a rejection');
}
