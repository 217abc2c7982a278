import { createHash, createSecretKey, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { DataPlaneError } from './errors.js';

/**
 * Wire format of a Cove envelope, version 1 (all integers big-endian):
 *
 * header (64 bytes)
 *   0  magic "COVE"        4
 *   4  version = 1         1
 *   5  algorithm           1   1 = AES-256-GCM, 2 = ChaCha20-Poly1305
 *   6  reserved = 0        2
 *   8  chunk size          4   plaintext bytes per chunk
 *  12  salt               32   random per envelope
 *  44  key check          16   HKDF(key, salt) output: tells a wrong key from tampering
 *  60  crc32 of 0..60      4   tells accidental header damage from a wrong key
 * records, one per chunk
 *   flag (0 = more, 1 = final) 1 ‖ plaintext length 4 ‖ ciphertext ‖ tag 16
 *
 * Chunk i is sealed under HKDF-derived chunk key with nonce = noncePrefix(4) ‖ u64(i) and
 * AAD = sha256(header) ‖ flag ‖ length, so header, order, position and finality are all
 * authenticated. Non-final records always carry exactly `chunkSize` bytes.
 */
export const ENVELOPE_MAGIC = Buffer.from('COVE', 'ascii');
export const ENVELOPE_VERSION = 1;
export const HEADER_BYTES = 64;
export const RECORD_PREFIX_BYTES = 5;
export const TAG_BYTES = 16;
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
export const MIN_CHUNK_SIZE = 16;
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
export const CONTENT_KEY_BYTES = 32;

export type EnvelopeAlgorithm = 'aes-256-gcm' | 'chacha20-poly1305';
/** Faster of the two on x86-64 with AES-NI/VAES (see docs/data-plane.md). */
export const DEFAULT_ALGORITHM: EnvelopeAlgorithm = 'aes-256-gcm';

const ALGORITHM_IDS: Record<EnvelopeAlgorithm, number> = { 'aes-256-gcm': 1, 'chacha20-poly1305': 2 };
const INFO = Buffer.from('cove/envelope/v1', 'ascii');

/** The parameters an envelope records in its header (and an asset document repeats). */
export type EnvelopeParams = { version: 1; algorithm: EnvelopeAlgorithm; chunkSize: number };

/** Per-envelope secrets and header, derived from the content key and salt. */
export type EnvelopeKeys = {
  params: EnvelopeParams;
  header: Buffer;
  /** Built once per envelope: a raw key would be re-imported for every chunk. */
  chunkKey: KeyObject;
  noncePrefix: Buffer;
  headerDigest: Buffer;
};

/** Throws `INVALID_KEY` unless `key` is a 32-byte content key. */
export function assertContentKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.byteLength !== CONTENT_KEY_BYTES) {
    throw new DataPlaneError('INVALID_KEY', `content key must be ${CONTENT_KEY_BYTES} bytes`, {
      details: { length: key instanceof Uint8Array ? key.byteLength : null },
    });
  }
}

/** Throws `ENVELOPE_BAD_PARAMS` for an unknown algorithm or an out-of-range chunk size. */
export function assertParams(p: { algorithm: string; chunkSize: number }): asserts p is EnvelopeParams {
  if (!(p.algorithm in ALGORITHM_IDS)) {
    throw new DataPlaneError('ENVELOPE_BAD_PARAMS', `unknown algorithm ${p.algorithm}`, { details: { algorithm: p.algorithm } });
  }
  if (!Number.isInteger(p.chunkSize) || p.chunkSize < MIN_CHUNK_SIZE || p.chunkSize > MAX_CHUNK_SIZE) {
    throw new DataPlaneError('ENVELOPE_BAD_PARAMS', `chunk size must be an integer in [${MIN_CHUNK_SIZE}, ${MAX_CHUNK_SIZE}]`, {
      details: { chunkSize: p.chunkSize },
    });
  }
}

function derive(key: Uint8Array, salt: Uint8Array, fixed: Uint8Array): { chunkKey: KeyObject; noncePrefix: Buffer; keyCheck: Buffer } {
  const okm = Buffer.from(hkdfSync('sha256', key, salt, Buffer.concat([INFO, fixed]), 32 + 4 + 16));
  return { chunkKey: createSecretKey(okm.subarray(0, 32)), noncePrefix: okm.subarray(32, 36), keyCheck: okm.subarray(36, 52) };
}

/** Builds a fresh header (random salt) for `params` under `key`. */
export function createEnvelopeKeys(key: Uint8Array, params: EnvelopeParams): EnvelopeKeys {
  const header = Buffer.alloc(HEADER_BYTES);
  ENVELOPE_MAGIC.copy(header, 0);
  header.writeUInt8(ENVELOPE_VERSION, 4);
  header.writeUInt8(ALGORITHM_IDS[params.algorithm], 5);
  header.writeUInt32BE(params.chunkSize, 8);
  randomBytes(32).copy(header, 12);
  const { chunkKey, noncePrefix, keyCheck } = derive(key, header.subarray(12, 44), header.subarray(0, 12));
  keyCheck.copy(header, 44);
  header.writeUInt32BE(crc32(header.subarray(0, 60)), 60);
  return { params, header, chunkKey, noncePrefix, headerDigest: createHash('sha256').update(header).digest() };
}

/**
 * Parses and checks a header against `key`. Order matters for the error code: magic,
 * version, checksum (damage), fields, then the key check (wrong key).
 */
export function openEnvelopeKeys(key: Uint8Array, header: Uint8Array): EnvelopeKeys {
  const h = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  if (h.byteLength < HEADER_BYTES || !h.subarray(0, 4).equals(ENVELOPE_MAGIC)) {
    throw new DataPlaneError('ENVELOPE_BAD_HEADER', 'not a Cove envelope', { details: { length: h.byteLength } });
  }
  const version = h.readUInt8(4);
  if (version !== ENVELOPE_VERSION) {
    throw new DataPlaneError('ENVELOPE_UNKNOWN_VERSION', `unsupported envelope version ${version}`, { details: { version } });
  }
  if (crc32(h.subarray(0, 60)) !== h.readUInt32BE(60)) {
    throw new DataPlaneError('ENVELOPE_TAMPERED', 'envelope header checksum mismatch', { details: { part: 'header' } });
  }
  const algorithmId = h.readUInt8(5);
  const algorithm = (Object.keys(ALGORITHM_IDS) as EnvelopeAlgorithm[]).find((a) => ALGORITHM_IDS[a] === algorithmId);
  const chunkSize = h.readUInt32BE(8);
  if (algorithm === undefined || h.readUInt16BE(6) !== 0 || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new DataPlaneError('ENVELOPE_BAD_HEADER', 'invalid envelope header fields', { details: { algorithmId, chunkSize } });
  }
  const { chunkKey, noncePrefix, keyCheck } = derive(key, h.subarray(12, 44), h.subarray(0, 12));
  if (!timingSafeEqual(keyCheck, h.subarray(44, 60))) {
    throw new DataPlaneError('ENVELOPE_BAD_KEY', 'the key does not open this envelope');
  }
  const copy = Buffer.from(h.subarray(0, HEADER_BYTES));
  return {
    params: { version: 1, algorithm, chunkSize },
    header: copy,
    chunkKey,
    noncePrefix,
    headerDigest: createHash('sha256').update(copy).digest(),
  };
}

/** Nonce of chunk `index`: noncePrefix ‖ u64 big-endian index. */
export function chunkNonce(keys: EnvelopeKeys, index: number): Buffer {
  const nonce = Buffer.allocUnsafe(12);
  keys.noncePrefix.copy(nonce, 0);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  return nonce;
}

/** Record prefix: flag ‖ u32 plaintext length. */
export function recordPrefix(final: boolean, length: number): Buffer {
  const p = Buffer.allocUnsafe(RECORD_PREFIX_BYTES);
  p.writeUInt8(final ? 1 : 0, 0);
  p.writeUInt32BE(length, 1);
  return p;
}

/** AAD of a chunk: sha256(header) ‖ record prefix. */
export function chunkAad(keys: EnvelopeKeys, prefix: Uint8Array): Buffer {
  return Buffer.concat([keys.headerDigest, prefix]);
}

/** Ciphertext size of an envelope holding `plaintextBytes` bytes. */
export function envelopeSize(plaintextBytes: number, chunkSize = DEFAULT_CHUNK_SIZE): number {
  const chunks = Math.max(1, Math.ceil(plaintextBytes / chunkSize));
  return HEADER_BYTES + chunks * (RECORD_PREFIX_BYTES + TAG_BYTES) + plaintextBytes;
}
