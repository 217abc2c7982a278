import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decryptFile, encryptFile } from './envelope-file.js';
import { generateContentKey } from './keys.js';
import { collect, digest, errorCode, patternSource } from './test-helpers.js';

describe('envelope files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cove-envelope-file-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('encrypts and decrypts a file, returning the plaintext sha256', async () => {
    const key = generateContentKey();
    await writeFile(join(dir, 'a.bin'), await collect(patternSource(3_000_000)));
    const result = await encryptFile({ input: join(dir, 'a.bin'), output: join(dir, 'a.cove'), key });
    const expected = await digest(createReadStream(join(dir, 'a.bin')));
    assert.equal(result.contentHash, expected.hash);
    assert.equal((await stat(join(dir, 'a.cove'))).size, result.ciphertextBytes);
    const out = await decryptFile({ input: join(dir, 'a.cove'), output: join(dir, 'a.out'), key, expectedContentHash: expected.hash });
    assert.equal(out.plaintextBytes, 3_000_000);
    assert.equal((await digest(createReadStream(join(dir, 'a.out')))).hash, expected.hash);
  });

  it('leaves no output and no temporary file when decryption fails late', async () => {
    const key = generateContentKey();
    await writeFile(join(dir, 'b.bin'), await collect(patternSource(2_500_000)));
    await encryptFile({ input: join(dir, 'b.bin'), output: join(dir, 'b.cove'), key });
    const sealed = await readFile(join(dir, 'b.cove'));
    await writeFile(join(dir, 'b.cut'), sealed.subarray(0, sealed.byteLength - 1000));
    const before = await readdir(dir);
    const code = await errorCode(decryptFile({ input: join(dir, 'b.cut'), output: join(dir, 'b.out'), key }));
    assert.equal(code, 'ENVELOPE_TRUNCATED');
    assert.deepEqual((await readdir(dir)).sort(), before.sort());
  });

  it('honours an abort signal and cleans up', async () => {
    const key = generateContentKey();
    await writeFile(join(dir, 'c.bin'), await collect(patternSource(4_000_000)));
    const before = await readdir(dir);
    const code = await errorCode(encryptFile({ input: join(dir, 'c.bin'), output: join(dir, 'c.cove'), key, signal: AbortSignal.abort() }));
    assert.equal(code, 'ABORTED');
    assert.deepEqual((await readdir(dir)).sort(), before.sort());
  });
});
