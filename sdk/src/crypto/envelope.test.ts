import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decryptStream, encryptStream } from './envelope.js';
import { DEFAULT_CHUNK_SIZE, envelopeSize } from './envelope-format.js';
import { generateContentKey } from './keys.js';
import { collect, digest, errorCode, patternSource } from './test-helpers.js';

const MiB = 1024 * 1024;

describe('envelope round trip', () => {
  const sizes = [0, 1, DEFAULT_CHUNK_SIZE - 1, DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_SIZE + 1, 50 * MiB];
  for (const size of sizes) {
    it(`restores ${size} bytes and reports their sha256`, async () => {
      const key = generateContentKey();
      const expected = await digest(patternSource(size, 300_000, size + 7));
      const enc = encryptStream(patternSource(size, 300_000, size + 7), { key });
      let ciphertextBytes = 0;
      const counted = (async function* () {
        for await (const c of enc) {
          ciphertextBytes += c.byteLength;
          yield c;
        }
      })();
      const plain = await digest(decryptStream(counted, { key, expectedContentHash: expected.hash }));
      const result = await enc.result;
      assert.equal(plain.hash, expected.hash);
      assert.equal(plain.bytes, size);
      assert.equal(result.contentHash, expected.hash);
      assert.equal(result.plaintextBytes, size);
      assert.equal(result.ciphertextBytes, ciphertextBytes);
      assert.equal(ciphertextBytes, envelopeSize(size));
      assert.deepEqual(result.params, { version: 1, algorithm: 'aes-256-gcm', chunkSize: DEFAULT_CHUNK_SIZE });
    });
  }

  it('round-trips with ChaCha20-Poly1305 and a custom chunk size', async () => {
    const key = generateContentKey();
    const expected = await digest(patternSource(10_000));
    const enc = encryptStream(patternSource(10_000), { key, algorithm: 'chacha20-poly1305', chunkSize: 1000 });
    const plain = await digest(decryptStream(enc, { key }));
    assert.equal(plain.hash, expected.hash);
    assert.equal((await enc.result).chunks, 10);
  });

  it('produces a different ciphertext each time for the same key and plaintext', async () => {
    const key = generateContentKey();
    const a = await collect(encryptStream(patternSource(100), { key }));
    const b = await collect(encryptStream(patternSource(100), { key }));
    assert.notDeepEqual(a, b);
  });

  it('rejects a wrong key with ENVELOPE_BAD_KEY before yielding anything', async () => {
    const sealed = await collect(encryptStream(patternSource(5000), { key: generateContentKey(), chunkSize: 1024 }));
    let yielded = 0;
    const code = await errorCode(
      (async () => {
        for await (const p of decryptStream([sealed], { key: generateContentKey() })) yielded += p.byteLength;
      })(),
    );
    assert.equal(code, 'ENVELOPE_BAD_KEY');
    assert.equal(yielded, 0);
  });

  it('rejects a plaintext whose hash differs from the expected one', async () => {
    const key = generateContentKey();
    const sealed = await collect(encryptStream(patternSource(5000), { key }));
    const wrong = `0x${'00'.repeat(32)}`;
    assert.equal(await errorCode(collect(decryptStream([sealed], { key, expectedContentHash: wrong }))), 'CONTENT_HASH_MISMATCH');
  });

  it('rejects keys that are not 32 bytes and out-of-range chunk sizes', async () => {
    assert.throws(() => encryptStream([], { key: new Uint8Array(16) }), { code: 'INVALID_KEY' });
    assert.throws(() => encryptStream([], { key: generateContentKey(), chunkSize: 0 }), { code: 'ENVELOPE_BAD_PARAMS' });
    assert.equal(await errorCode(collect(decryptStream([], { key: new Uint8Array(31) }))), 'INVALID_KEY');
  });

  it('stops with ABORTED when the signal fires mid-stream', async () => {
    const controller = new AbortController();
    const enc = encryptStream(patternSource(8 * MiB), {
      key: generateContentKey(),
      signal: controller.signal,
      onProgress: (p) => {
        if (p.plaintextBytes >= 2 * MiB) controller.abort();
      },
    });
    assert.equal(await errorCode(collect(enc)), 'ABORTED');
    assert.equal(await errorCode(enc.result), 'ABORTED');
  });

  it('reports progress for every chunk', async () => {
    const seen: number[] = [];
    const enc = encryptStream(patternSource(3 * MiB + 5), { key: generateContentKey(), onProgress: (p) => seen.push(p.plaintextBytes) });
    await collect(enc);
    assert.deepEqual(seen, [MiB, 2 * MiB, 3 * MiB, 3 * MiB + 5]);
  });
});
