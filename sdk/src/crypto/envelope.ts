import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { ByteReader, rechunk, type ByteSource } from './bytes.js';
import {
  DEFAULT_ALGORITHM,
  DEFAULT_CHUNK_SIZE,
  HEADER_BYTES,
  RECORD_PREFIX_BYTES,
  TAG_BYTES,
  assertContentKey,
  assertParams,
  chunkAad,
  chunkNonce,
  createEnvelopeKeys,
  openEnvelopeKeys,
  recordPrefix,
  type EnvelopeAlgorithm,
  type EnvelopeKeys,
  type EnvelopeParams,
} from './envelope-format.js';
import { DataPlaneError, throwIfAborted } from './errors.js';

export type EnvelopeProgress = { plaintextBytes: number; ciphertextBytes: number };

export type EncryptStreamParameters = {
  /** 32-byte content key (see `generateContentKey`). */
  key: Uint8Array;
  /** Plaintext bytes per chunk, default 1 MiB. */
  chunkSize?: number;
  algorithm?: EnvelopeAlgorithm;
  signal?: AbortSignal;
  onProgress?: (progress: EnvelopeProgress) => void;
};

export type EncryptStreamResult = {
  /** sha256 of the plaintext, 0x-prefixed hex. */
  contentHash: `0x${string}`;
  plaintextBytes: number;
  ciphertextBytes: number;
  chunks: number;
  params: EnvelopeParams;
};

/** Ciphertext as an async iterable, plus the totals once it has been fully read. */
export type EncryptStreamReturnType = AsyncIterable<Uint8Array> & {
  /** Settles when iteration ends: resolves with the totals, rejects with the iteration's error. */
  result: Promise<EncryptStreamResult>;
};

export type DecryptStreamParameters = {
  key: Uint8Array;
  /** When set, the plaintext's sha256 must equal it (`CONTENT_HASH_MISMATCH` at the end otherwise). */
  expectedContentHash?: string;
  signal?: AbortSignal;
  onProgress?: (progress: EnvelopeProgress) => void;
};

// the ternaries only pick the typed overload; both algorithms share the AEAD calls used here
function cipherFor(keys: EnvelopeKeys, index: number) {
  const { algorithm } = keys.params;
  const nonce = chunkNonce(keys, index);
  const options = { authTagLength: TAG_BYTES };
  return algorithm === 'aes-256-gcm'
    ? createCipheriv(algorithm, keys.chunkKey, nonce, options)
    : createCipheriv(algorithm, keys.chunkKey, nonce, options);
}

function decipherFor(keys: EnvelopeKeys, index: number) {
  const { algorithm } = keys.params;
  const nonce = chunkNonce(keys, index);
  const options = { authTagLength: TAG_BYTES };
  return algorithm === 'aes-256-gcm'
    ? createDecipheriv(algorithm, keys.chunkKey, nonce, options)
    : createDecipheriv(algorithm, keys.chunkKey, nonce, options);
}

function sealChunk(keys: EnvelopeKeys, index: number, final: boolean, plaintext: Uint8Array): Uint8Array[] {
  const prefix = recordPrefix(final, plaintext.byteLength);
  const cipher = cipherFor(keys, index);
  cipher.setAAD(chunkAad(keys, prefix));
  const body = cipher.update(plaintext);
  cipher.final();
  return [prefix, body, cipher.getAuthTag()];
}

/**
 * Encrypts `source` into a Cove envelope, chunk by chunk, holding at most two chunks in
 * memory, and hashes the plaintext on the way (`result.contentHash`).
 *
 * @example
 * const key = generateContentKey();
 * const enc = encryptStream(createReadStream('data.csv'), { key });
 * await pipeline(Readable.from(enc), createWriteStream('data.csv.cove'));
 * const { contentHash, plaintextBytes } = await enc.result;
 */
export function encryptStream(source: ByteSource, params: EncryptStreamParameters): EncryptStreamReturnType {
  const { key, signal, onProgress } = params;
  const envelopeParams = { version: 1 as const, algorithm: params.algorithm ?? DEFAULT_ALGORITHM, chunkSize: params.chunkSize ?? DEFAULT_CHUNK_SIZE };
  assertContentKey(key);
  assertParams(envelopeParams);
  let settle!: { resolve: (r: EncryptStreamResult) => void; reject: (e: unknown) => void };
  const result = new Promise<EncryptStreamResult>((resolve, reject) => (settle = { resolve, reject }));
  // callers that only iterate must not see an unhandled rejection; awaiting callers still get it
  result.catch(() => undefined);

  async function* generate(): AsyncGenerator<Uint8Array> {
    const keys = createEnvelopeKeys(key, envelopeParams);
    const hash = createHash('sha256');
    let plaintextBytes = 0;
    let ciphertextBytes = HEADER_BYTES;
    let index = 0;
    let pending: Uint8Array | undefined;
    const emit = (final: boolean, chunk: Uint8Array) => {
      const parts = sealChunk(keys, index++, final, chunk);
      plaintextBytes += chunk.byteLength;
      ciphertextBytes += RECORD_PREFIX_BYTES + chunk.byteLength + TAG_BYTES;
      onProgress?.({ plaintextBytes, ciphertextBytes });
      return parts;
    };
    try {
      throwIfAborted(signal);
      yield keys.header;
      // one chunk of look-ahead: a chunk is final only if the source ends right after it
      // two blocks alternate: `pending` is sealed before rechunk refills its buffer
      for await (const chunk of rechunk(source, envelopeParams.chunkSize, signal, 2)) {
        hash.update(chunk);
        if (pending !== undefined) yield* emit(false, pending);
        pending = chunk;
      }
      yield* emit(true, pending ?? new Uint8Array(0));
      settle.resolve({
        contentHash: `0x${hash.digest('hex')}`,
        plaintextBytes,
        ciphertextBytes,
        chunks: index,
        params: envelopeParams,
      });
    } catch (err) {
      settle.reject(err);
      throw err;
    } finally {
      // consumer stopped early (break / return): the result can never complete
      settle.reject(new DataPlaneError('ABORTED', 'ciphertext stream closed before the end'));
    }
  }
  return Object.assign(generate(), { result });
}

function openChunk(keys: EnvelopeKeys, index: number, prefix: Uint8Array, body: Uint8Array, tag: Uint8Array): Buffer {
  const decipher = decipherFor(keys, index);
  decipher.setAAD(chunkAad(keys, prefix));
  decipher.setAuthTag(tag);
  const out = decipher.update(body);
  try {
    decipher.final();
  } catch (cause) {
    throw new DataPlaneError('ENVELOPE_TAMPERED', `chunk ${index} failed to authenticate`, { details: { chunk: index }, cause });
  }
  return out;
}

/**
 * Decrypts a Cove envelope. Each chunk is authenticated before its plaintext is yielded;
 * the stream fails (after the last good chunk) when the final chunk is missing, when data
 * follows it, or when `expectedContentHash` does not match. Consumers must treat any error
 * as "discard everything" (`decryptFile` does that for files).
 *
 * @example
 * const plain = decryptStream(createReadStream('data.csv.cove'), { key });
 * await pipeline(Readable.from(plain), createWriteStream('data.csv'));
 */
export async function* decryptStream(source: ByteSource, params: DecryptStreamParameters): AsyncGenerator<Uint8Array> {
  const { key, signal, onProgress, expectedContentHash } = params;
  assertContentKey(key);
  const reader = new ByteReader(source);
  try {
    throwIfAborted(signal);
    const keys = openEnvelopeKeys(key, await reader.read(HEADER_BYTES));
    const { chunkSize } = keys.params;
    const hash = expectedContentHash === undefined ? undefined : createHash('sha256');
    let plaintextBytes = 0;
    let ciphertextBytes = HEADER_BYTES;
    for (let index = 0; ; index++) {
      throwIfAborted(signal);
      const prefix = await reader.read(RECORD_PREFIX_BYTES);
      if (prefix.byteLength < RECORD_PREFIX_BYTES) {
        throw new DataPlaneError('ENVELOPE_TRUNCATED', 'envelope ends before its final chunk', { details: { chunk: index } });
      }
      const view = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength);
      const flag = view.readUInt8(0);
      const length = view.readUInt32BE(1);
      const final = flag === 1;
      if (flag > 1 || length > chunkSize || (!final && length !== chunkSize)) {
        throw new DataPlaneError('ENVELOPE_TAMPERED', `chunk ${index} has an invalid record prefix`, {
          details: { chunk: index, flag, length },
        });
      }
      const prefixCopy = Buffer.from(prefix);
      // body and tag are read apart so pieces that already line up are never copied
      const body = await reader.read(length);
      const tag = body.byteLength === length ? await reader.read(TAG_BYTES) : new Uint8Array(0);
      if (tag.byteLength < TAG_BYTES) {
        throw new DataPlaneError('ENVELOPE_TRUNCATED', `envelope ends inside chunk ${index}`, { details: { chunk: index } });
      }
      const plaintext = openChunk(keys, index, prefixCopy, body, tag);
      hash?.update(plaintext);
      plaintextBytes += length;
      ciphertextBytes += RECORD_PREFIX_BYTES + length + TAG_BYTES;
      if (final) {
        if (!(await reader.atEnd())) {
          throw new DataPlaneError('ENVELOPE_EXTENDED', 'data follows the final chunk', { details: { chunk: index } });
        }
        if (hash !== undefined) {
          const actual = `0x${hash.digest('hex')}`;
          if (actual !== expectedContentHash!.toLowerCase()) {
            throw new DataPlaneError('CONTENT_HASH_MISMATCH', 'plaintext hash differs from the expected content hash', {
              details: { expected: expectedContentHash, actual },
            });
          }
        }
      }
      onProgress?.({ plaintextBytes, ciphertextBytes });
      if (plaintext.byteLength > 0) yield plaintext;
      if (final) return;
    }
  } finally {
    await reader.close();
  }
}
