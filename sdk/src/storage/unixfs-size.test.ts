import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnixFS } from 'ipfs-unixfs';

/** Sizes either side of the varint writer's signed-int32 edge (2^31) and of its word edge (2^32). */
const SIZES = [2n ** 31n - 1n, 2n ** 31n, 2n ** 31n + 12_345n, 3n * 2n ** 30n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 2n ** 31n, 20n * 2n ** 30n, 2n ** 53n - 1n];

/** The protobuf varint of `n`: 7 bits per byte, low first, high bit set on all but the last. */
function varint(n: bigint): Buffer {
  const out: number[] = [];
  do {
    const b = Number(n & 127n);
    n >>= 7n;
    out.push(n > 0n ? b | 128 : b);
  } while (n > 0n);
  return Buffer.from(out);
}

describe('UnixFS file sizes around 2^31 and 2^32 (scripts/patch-deps.mjs)', () => {
  it('a root declaring any of them encodes its fileSize as the canonical varint and decodes to the same size', () => {
    for (const size of SIZES) {
      const bytes = Buffer.from(new UnixFS({ type: 'file', blockSizes: [size] }).marshal());
      // Field 3 (filesize, varint) then field 4 (blocksizes): both carry the size.
      assert.ok(bytes.includes(Buffer.concat([Buffer.from([0x18]), varint(size), Buffer.from([0x20]), varint(size)])), `${size}: ${bytes.toString('hex')}`);
      assert.equal(UnixFS.unmarshal(bytes).fileSize(), size, `${size} round-trips`);
    }
  });

  it('a root over 1 MiB leaves, as the importer builds it, declares 3000 MiB (between 2 and 4 GiB) exactly', () => {
    const leaves = Array.from({ length: 3000 }, () => 1n << 20n);
    const bytes = Buffer.from(new UnixFS({ type: 'file', blockSizes: leaves }).marshal());
    // The declared filesize field itself (readers such as the exporter's range math trust it), not just the leaves' sum.
    assert.ok(bytes.subarray(0, 16).includes(Buffer.concat([Buffer.from([0x18]), varint(3000n << 20n)])), bytes.subarray(0, 16).toString('hex'));
    const root = UnixFS.unmarshal(bytes);
    assert.equal(root.fileSize(), 3000n << 20n);
    assert.equal(root.blockSizes.length, 3000);
  });
});
