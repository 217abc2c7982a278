import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decryptStream, encryptStream } from './envelope.js';
import { HEADER_BYTES, RECORD_PREFIX_BYTES, TAG_BYTES } from './envelope-format.js';
import { generateContentKey } from './keys.js';
import { collect, errorCode, patternSource } from './test-helpers.js';

const CHUNK = 256;
const RECORD = RECORD_PREFIX_BYTES + CHUNK + TAG_BYTES;
/** 4 records: three full chunks and a final one of 100 bytes. */
const SIZE = 3 * CHUNK + 100;
const recordAt = (i: number) => HEADER_BYTES + i * RECORD;

describe('envelope tamper detection', () => {
  const key = generateContentKey();
  let sealed: Buffer;
  const decrypt = (bytes: Uint8Array, k = key) => errorCode(collect(decryptStream([bytes], { key: k })));
  const flip = (offset: number, bit = 0) => {
    const copy = Buffer.from(sealed);
    copy[offset]! ^= 1 << bit;
    return copy;
  };

  before(async () => {
    sealed = await collect(encryptStream(patternSource(SIZE), { key, chunkSize: CHUNK }));
    assert.equal(sealed.byteLength, recordAt(3) + RECORD_PREFIX_BYTES + 100 + TAG_BYTES);
  });

  it('decrypts the untouched envelope', async () => {
    assert.deepEqual(await collect(decryptStream([sealed], { key })), await collect(patternSource(SIZE)));
  });

  it('detects a bit flip in the magic as ENVELOPE_BAD_HEADER', async () => {
    assert.equal(await decrypt(flip(1)), 'ENVELOPE_BAD_HEADER');
  });

  it('detects a changed version as ENVELOPE_UNKNOWN_VERSION', async () => {
    assert.equal(await decrypt(flip(4, 1)), 'ENVELOPE_UNKNOWN_VERSION');
  });

  it('detects a bit flip anywhere else in the header as ENVELOPE_TAMPERED', async () => {
    for (const offset of [5, 7, 9, 12, 30, 43, 44, 59, 60, 63]) {
      assert.equal(await decrypt(flip(offset, offset % 8)), 'ENVELOPE_TAMPERED', `header byte ${offset}`);
    }
  });

  it('detects a bit flip in chunk data as ENVELOPE_TAMPERED, the first chunk included', async () => {
    assert.equal(await decrypt(flip(recordAt(0) + RECORD_PREFIX_BYTES + 10)), 'ENVELOPE_TAMPERED');
    assert.equal(await decrypt(flip(recordAt(2) + RECORD_PREFIX_BYTES + 200, 7)), 'ENVELOPE_TAMPERED');
  });

  it('detects a bit flip in a tag or a record prefix as ENVELOPE_TAMPERED', async () => {
    assert.equal(await decrypt(flip(recordAt(1) + RECORD - 1)), 'ENVELOPE_TAMPERED');
    assert.equal(await decrypt(flip(recordAt(1))), 'ENVELOPE_TAMPERED'); // flag 0 → 1
    assert.equal(await decrypt(flip(recordAt(1) + 3)), 'ENVELOPE_TAMPERED'); // length
  });

  it('detects reordered chunks as ENVELOPE_TAMPERED', async () => {
    const swapped = Buffer.concat([
      sealed.subarray(0, recordAt(0)),
      sealed.subarray(recordAt(1), recordAt(2)),
      sealed.subarray(recordAt(0), recordAt(1)),
      sealed.subarray(recordAt(2)),
    ]);
    assert.equal(await decrypt(swapped), 'ENVELOPE_TAMPERED');
  });

  it('detects a dropped middle chunk as ENVELOPE_TAMPERED', async () => {
    assert.equal(await decrypt(Buffer.concat([sealed.subarray(0, recordAt(1)), sealed.subarray(recordAt(2))])), 'ENVELOPE_TAMPERED');
  });

  it('detects truncation mid-chunk as ENVELOPE_TRUNCATED', async () => {
    assert.equal(await decrypt(sealed.subarray(0, recordAt(2) + 40)), 'ENVELOPE_TRUNCATED');
    assert.equal(await decrypt(sealed.subarray(0, sealed.byteLength - 1)), 'ENVELOPE_TRUNCATED');
    assert.equal(await decrypt(sealed.subarray(0, recordAt(1) + 2)), 'ENVELOPE_TRUNCATED');
  });

  it('detects a removed final chunk as ENVELOPE_TRUNCATED after yielding only authenticated chunks', async () => {
    const cut = sealed.subarray(0, recordAt(3));
    const seen: Uint8Array[] = [];
    const code = await errorCode(
      (async () => {
        for await (const p of decryptStream([cut], { key })) seen.push(p);
      })(),
    );
    assert.equal(code, 'ENVELOPE_TRUNCATED');
    assert.deepEqual(Buffer.concat(seen), (await collect(patternSource(SIZE))).subarray(0, 3 * CHUNK));
  });

  it('detects a header-only or shorter-than-header input', async () => {
    assert.equal(await decrypt(sealed.subarray(0, HEADER_BYTES)), 'ENVELOPE_TRUNCATED');
    assert.equal(await decrypt(sealed.subarray(0, 10)), 'ENVELOPE_BAD_HEADER');
    assert.equal(await decrypt(new Uint8Array(0)), 'ENVELOPE_BAD_HEADER');
  });

  it('detects an extra chunk appended after the final one as ENVELOPE_EXTENDED', async () => {
    assert.equal(await decrypt(Buffer.concat([sealed, sealed.subarray(recordAt(1), recordAt(2))])), 'ENVELOPE_EXTENDED');
  });

  it('detects garbage appended as ENVELOPE_EXTENDED', async () => {
    assert.equal(await decrypt(Buffer.concat([sealed, Buffer.from([0])])), 'ENVELOPE_EXTENDED');
  });

  it('detects a final chunk taken from another envelope under the same key', async () => {
    const other = await collect(encryptStream(patternSource(SIZE), { key, chunkSize: CHUNK }));
    assert.equal(await decrypt(Buffer.concat([sealed.subarray(0, recordAt(3)), other.subarray(recordAt(3))])), 'ENVELOPE_TAMPERED');
  });

  it('rejects a wrong key as ENVELOPE_BAD_KEY, not as tampering', async () => {
    assert.equal(await decrypt(sealed, generateContentKey()), 'ENVELOPE_BAD_KEY');
  });
});
