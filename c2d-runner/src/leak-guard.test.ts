import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLeakIndex, scanForLeaks } from './leak-guard.js';

const T = 64;

function scan(outputs: Array<{ name: string; data: Uint8Array }>, inputs: Array<{ name: string; data: Uint8Array }>, chunk = 1 << 20, minRunBytes = T) {
  const index = createLeakIndex({ outputs, minRunBytes });
  for (const input of inputs) {
    const s = index.scanner(input.name);
    for (let i = 0; i < input.data.length; i += chunk) s.feed(input.data.subarray(i, i + chunk));
    s.end();
    if (index.finding) break;
  }
  return index;
}

/**
 * An output of `size` random bytes holding `src[from, from + len)` at `at`, its neighbouring
 * bytes made to differ from the source's so the shared run is exactly that long.
 */
function outputWith(src: Uint8Array, from: number, len: number, at: number, size = 4096): Uint8Array {
  const out = randomBytes(size);
  out.set(src.subarray(from, from + len), at);
  if (at > 0 && from > 0) out[at - 1] = src[from - 1]! ^ 0xff;
  if (at + len < size && from + len < src.length) out[at + len] = src[from + len]! ^ 0xff;
  return out;
}

describe('leak guard', () => {
  const input = randomBytes(20_000);

  it('finds a copied run of exactly the threshold and reports where it is', () => {
    const out = outputWith(input, 5000, T, 1234);
    const { finding } = scan([{ name: 'model.pkl', data: out }], [{ name: 'a/data.csv', data: input }]);
    assert.ok(finding);
    assert.equal(finding.output, 'model.pkl');
    assert.equal(finding.input, 'a/data.csv');
    assert.equal(finding.outputOffset, 1234);
    assert.equal(finding.inputOffset, 5000);
    assert.ok(finding.length >= T);
  });

  it('lets a run one byte shorter than the threshold through', () => {
    for (const at of [0, 7, 1234, 4096 - (T - 1)]) {
      const out = outputWith(input, 9000, T - 1, at);
      assert.equal(scan([{ name: 'o', data: out }], [{ name: 'i', data: input }]).finding, null, `at ${at}`);
    }
  });

  it('finds runs at every output offset, including the first and the last bytes', () => {
    for (let at = 0; at <= 200; at++) {
      const out = outputWith(input, 300, T, at, 264);
      assert.ok(scan([{ name: 'o', data: out }], [{ name: 'i', data: input }]).finding, `output offset ${at}`);
    }
  });

  it('finds runs at the very start and end of an input, whatever the chunking', () => {
    for (const chunk of [1, 7, 63, 64, 65, 4096, 1 << 20]) {
      assert.equal(scan([{ name: 'o', data: outputWith(input, 0, T, 50) }], [{ name: 'i', data: input }], chunk).finding?.inputOffset, 0, `head, chunk ${chunk}`);
      assert.equal(scan([{ name: 'o', data: outputWith(input, input.length - T, T, 50) }], [{ name: 'i', data: input }], chunk).finding?.inputOffset, input.length - T, `tail, chunk ${chunk}`);
    }
  });

  it('treats files separately: runs split across two inputs or two outputs are not joined', () => {
    const a = randomBytes(1000);
    const b = randomBytes(1000);
    const spanning = Buffer.concat([a.subarray(1000 - 40), b.subarray(0, 40)]);
    assert.equal(scan([{ name: 'o', data: outputWith(spanning, 0, 80, 100) }], [{ name: 'a', data: a }, { name: 'b', data: b }]).finding, null);
    const out1 = outputWith(input, 0, 40, 4096 - 40);
    const out2 = outputWith(input, 40, 40, 0);
    assert.equal(scan([{ name: 'o1', data: out1 }, { name: 'o2', data: out2 }], [{ name: 'i', data: input }]).finding, null);
    // …while a whole run in the second file of each list is found.
    const found = scan([{ name: 'o1', data: randomBytes(500) }, { name: 'o2', data: outputWith(b, 10, T, 3) }], [{ name: 'a', data: a }, { name: 'b', data: b }]).finding;
    assert.deepEqual(found && [found.output, found.input, found.inputOffset], ['o2', 'b', 10]);
  });

  it('ignores shared padding and separators but not data next to them', () => {
    const zeros = new Uint8Array(500);
    const paddedInput = Buffer.concat([zeros, input.subarray(0, 1000), Buffer.from(',,,,'.repeat(100))]);
    const padded = Buffer.concat([randomBytes(100), zeros, randomBytes(100), Buffer.from(',,,,'.repeat(50))]);
    assert.equal(scan([{ name: 'o', data: padded }], [{ name: 'i', data: paddedInput }]).finding, null);
    const dataAfterZeros = Buffer.concat([randomBytes(100), zeros.subarray(0, 40), input.subarray(0, 30), randomBytes(100)]);
    assert.ok(scan([{ name: 'o', data: dataAfterZeros }], [{ name: 'i', data: paddedInput }]).finding);
  });

  it('honours a smaller threshold', () => {
    const out = outputWith(input, 100, 16, 10);
    assert.ok(scan([{ name: 'o', data: out }], [{ name: 'i', data: input }], 1 << 20, 16).finding);
    assert.equal(scan([{ name: 'o', data: outputWith(input, 100, 15, 10) }], [{ name: 'i', data: input }], 1 << 20, 16).finding, null);
  });

  it('fails closed when verification work exceeds its budget', () => {
    // Many distinct contexts around one repeated 32-byte block: each input occurrence checks them all.
    const block = randomBytes(32);
    const parts: Buffer[] = [];
    for (let i = 0; i < 200; i++) parts.push(block, randomBytes(1));
    const data = Buffer.concat(parts);
    const index = createLeakIndex({ outputs: [{ name: 'o', data }], minRunBytes: T, workBudget: { base: 1000, perByte: 1 } });
    const s = index.scanner('i');
    s.feed(Buffer.concat([randomBytes(5), ...Array.from({ length: 200 }, () => Buffer.concat([block, randomBytes(3)]))]));
    s.end();
    assert.equal(index.budgetExceeded, true);
    assert.equal(index.finding, null);
  });

  it('scans input files from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cove-leak-'));
    try {
      await writeFile(join(dir, 'data.bin'), input);
      const outputs = [{ name: 'copy.bin', data: outputWith(input, 19_000, 100, 0) }];
      const leak = await scanForLeaks({ outputs, inputs: [{ name: 'a/data.bin', path: join(dir, 'data.bin') }], minRunBytes: T });
      assert.equal(leak.verdict, 'leak');
      const clean = await scanForLeaks({ outputs: [{ name: 'x', data: randomBytes(10_000) }], inputs: [{ name: 'a/data.bin', path: join(dir, 'data.bin') }], minRunBytes: T });
      assert.deepEqual(clean, { verdict: 'clean', scannedBytes: input.length });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
