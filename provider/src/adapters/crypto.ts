import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodeKey, decryptStream, encryptStream, generateContentKey, openSealedKey, sealKey, type KeyPair } from '@cove/sdk';
import type { CryptoPort } from '../ports.js';

/**
 * The provider's data-plane crypto over the SDK: envelope streams and key sealing with
 * the provider's X25519 key pair.
 * @example
 * const crypto = createCryptoAdapter({ keyPair: identity.x25519 });
 */
export function createCryptoAdapter(params: { keyPair: KeyPair }): CryptoPort {
  // Admission opens a document's key only to read its binding; the binding of a sealed string
  // never changes, so it is kept (never the key) and the X25519 work is done once per document.
  const bindings = new Map<string, ReturnType<CryptoPort['bindingOf']>>();
  return {
    openKey: (sealed) => openSealedKey({ sealed, secretKey: params.keyPair.secretKey }),
    bindingOf(sealed) {
      if (bindings.has(sealed)) return bindings.get(sealed);
      const { key, binding } = openSealedKey({ sealed, secretKey: params.keyPair.secretKey });
      key.fill(0);
      if (bindings.size >= 10_000) bindings.delete(bindings.keys().next().value!);
      bindings.set(sealed, binding);
      return binding;
    },
    sealKey: (key, recipient) => sealKey({ key, recipientPublicKey: decodeKey(recipient) }),

    async decryptToFile({ source, key, path, signal }) {
      const hash = createHash('sha256');
      let bytes = 0;
      const partial = `${path}.partial`;
      async function* hashed() {
        for await (const chunk of decryptStream(source, { key, ...(signal ? { signal } : {}) })) {
          hash.update(chunk);
          bytes += chunk.byteLength;
          yield chunk;
        }
      }
      try {
        // a byte stream with a 1 MiB mark: at most about one envelope chunk waits for the disk (object mode buffered 16, of up to 64 MiB each)
        await pipeline(Readable.from(hashed(), { objectMode: false, highWaterMark: 1024 * 1024 }), createWriteStream(partial, { mode: 0o644 }), ...(signal ? [{ signal }] : []));
        await rename(partial, path);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
      return { sha256: '0x' + hash.digest('hex'), bytes };
    },

    encryptFile({ path, signal }) {
      const key = generateContentKey();
      const ciphertext = encryptStream(createReadStream(path, { highWaterMark: 1024 * 1024 }), { key, ...(signal ? { signal } : {}) });
      return { key, ciphertext };
    },
  };
}
